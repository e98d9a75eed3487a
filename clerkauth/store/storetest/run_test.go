package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

const flawEnv = "STORETEST_FLAW"

// TestRunHelper is run as a subprocess by TestRunFailsSubtests; on its own
// it skips.
func TestRunHelper(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	if flaw == "" {
		t.Skip("run as a subprocess by TestRunFailsSubtests")
	}
	storetest.Run(t, func(*testing.T) (store.Users, store.Orgs) {
		return newFlawedStore(flaw), nil // no store.Orgs: its checks skip
	})
	storetest.RunRevocations(t, func(*testing.T) store.Revocations { return newFlawedStore(flaw) })
	storetest.RunDedupe(t, flawedDedupes(flaw))
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
	dedupeCmd := exec.Command(os.Args[0], "-test.run=^TestRunHelper$", "-test.v")
	dedupeCmd.Env = append(os.Environ(), flawEnv+"=release-ignores-owner")
	dedupeOut, err := dedupeCmd.CombinedOutput()
	if err == nil {
		t.Fatalf("RunDedupe passed a dedupe store whose Release ignores the owner:\n%s", dedupeOut)
	}
	if want := "--- FAIL: TestRunHelper/DedupeStaleReleaseKeepsNewClaim "; !strings.Contains(string(dedupeOut), want) {
		t.Errorf("output lacks %q:\n%s", want, dedupeOut)
	}
	for _, want := range []string{
		"--- FAIL: TestRunHelper/UserVersionGuard ",
		"--- FAIL: TestRunHelper/UserPermutations ",
		"--- PASS: TestRunHelper/UserNotFound ",
		"--- SKIP: TestRunHelper/OrgVersionGuard ",
		"storetest: no store.Orgs to check",
		"--- PASS: TestRunHelper/RevocationRevoke ",
		"--- PASS: TestRunHelper/DedupeClaimAcquiresOnce ",
		"UpsertUser(user_a_",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
