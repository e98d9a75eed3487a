package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/storetest"
)

const flawEnv = "STORETEST_FLAW"

// TestRunHelper is run as a subprocess by TestRunFailsSubtests; on its own
// it has nothing to do.
func TestRunHelper(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	if flaw == "" {
		return
	}
	storetest.Run(t, func(*testing.T) (clerkauth.UserStore, clerkauth.OrgStore) {
		return newFlawedStore(flaw), nil // no OrgStore: its checks skip
	})
	storetest.RunRevocations(t, func(*testing.T) clerkauth.RevocationStore { return newFlawedStore(flaw) })
}

// Run reports a flaw in the subtest named after the check, and skips the
// checks of a store the factory does not return.
func TestRunFailsSubtests(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunHelper$", "-test.v")
	cmd.Env = append(os.Environ(), flawEnv+"=upsert-ignores-version")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("Run passed a store that ignores versions:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestRunHelper/UserVersionGuard ",
		"--- FAIL: TestRunHelper/UserPermutations ",
		"--- PASS: TestRunHelper/UserNotFound ",
		"--- SKIP: TestRunHelper/OrgVersionGuard ",
		"storetest: no OrgStore to check",
		"--- PASS: TestRunHelper/RevocationRevoke ",
		"UpsertUser(user_a_",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
