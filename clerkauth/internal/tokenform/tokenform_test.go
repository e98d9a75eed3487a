package tokenform_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unioneyes/authkit/clerkauth/internal/tokenform"
)

func TestOf(t *testing.T) {
	for token, want := range map[string]tokenform.Form{
		"ak_abc":          tokenform.APIKey,
		"ak_a.b.c":        tokenform.APIKey,
		"mt_abc":          tokenform.M2MToken,
		"oat_abc":         tokenform.OAuthToken,
		"a.b.c":           tokenform.JWT,
		"..":              tokenform.JWT,
		"a.b":             tokenform.ServiceAccount,
		"a.b.c.d":         tokenform.ServiceAccount,
		"svc_key":         tokenform.ServiceAccount,
		"":                tokenform.ServiceAccount,
		"AK_abc":          tokenform.ServiceAccount, // prefixes are case-sensitive
		"ak":              tokenform.ServiceAccount,
		"oa_abc":          tokenform.ServiceAccount,
		" ak_abc":         tokenform.ServiceAccount,
		"mt_":             tokenform.M2MToken,
		"oat_x.y.z":       tokenform.OAuthToken,
		"eyJ.eyJ.sig":     tokenform.JWT,
		"svc_with.dot":    tokenform.ServiceAccount,
		"svc.with.2.dots": tokenform.ServiceAccount,
	} {
		assert.Equal(t, want, tokenform.Of(token), "%q", token)
	}
}
