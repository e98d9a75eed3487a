package clerkauth

import (
	"strconv"
	"strings"
)

// orgPermissionsV2 decodes a version 2 token's organization permissions the way Clerk's
// SDKs do: the organization features are the fea entries whose scope contains "o"
// ("o:posts", "uo:posts"); o.fpm has one decimal bit mask per organization feature, in
// that order; bit j, least significant first, grants the j-th name of o.per. So fea
// "o:repositories,o:projects", per "read,manage", fpm "1,2" grant
// org:repositories:read and org:projects:manage. Masks beyond the features, and bits
// beyond the names, grant nothing.
func orgPermissionsV2(fea, per, fpm string) []string {
	if per == "" || fpm == "" {
		return nil
	}
	perms := make([]string, 0, strings.Count(per, ",")+1)
	masks := fpm
	for f := range strings.SplitSeq(fea, ",") {
		scope, feature, ok := strings.Cut(strings.TrimSpace(f), ":")
		if !ok || !strings.Contains(scope, "o") || feature == "" {
			continue
		}
		var mask string
		var more bool
		mask, masks, more = strings.Cut(masks, ",")
		bits, err := strconv.ParseUint(strings.TrimSpace(mask), 10, 64)
		if err == nil && bits != 0 {
			j := 0
			for name := range strings.SplitSeq(per, ",") {
				if j >= 64 {
					break
				}
				if bits&(1<<j) != 0 {
					if name = strings.TrimSpace(name); name != "" {
						perms = append(perms, "org:"+feature+":"+name)
					}
				}
				j++
			}
		}
		if !more {
			break
		}
	}
	if len(perms) == 0 {
		return nil
	}
	return perms
}

// splitFeatures splits fea into its entries.
func splitFeatures(fea string) []string {
	if fea == "" {
		return nil
	}
	parts := strings.Split(fea, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
