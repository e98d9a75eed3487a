package storetest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

// failedChecks returns the names of the checks that failed, sorted, and
// fails t if an error is not a *storetest.Failure.
func failedChecks(t *testing.T, errs []error) []string {
	t.Helper()
	var names []string
	for _, err := range errs {
		var f *storetest.Failure
		if !errors.As(err, &f) {
			t.Fatalf("error %v (%T) is not a *storetest.Failure", err, err)
		}
		if !strings.HasPrefix(err.Error(), "storetest: "+f.Check+": ") {
			t.Errorf("Error() = %q, want the prefix %q", err.Error(), "storetest: "+f.Check+": ")
		}
		if !slices.Contains(names, f.Check) {
			names = append(names, f.Check)
		}
	}
	slices.Sort(names)
	return names
}

// The reference stores keep the contract: Check finds nothing, so every
// failure below is the flaw's doing.
func TestCheckPassesCorrectStores(t *testing.T) {
	for name, factory := range map[string]storetest.Factory{
		"flawedStore without a flaw": func(*testing.T) (store.Users, store.Orgs) {
			s := newFlawedStore("")
			return s, s
		},
		"memstore": func(*testing.T) (store.Users, store.Orgs) {
			s := memstore.New(memstore.Config{})
			return s, s
		},
	} {
		t.Run(name, func(t *testing.T) {
			if errs := storetest.Check(t, factory); len(errs) > 0 {
				t.Fatalf("Check found %d problems in a correct store:\n%v", len(errs), errors.Join(errs...))
			}
			errs := storetest.CheckRevocations(t, func(*testing.T) store.Revocations {
				s, _ := factory(t)
				return s.(store.Revocations)
			})
			if len(errs) > 0 {
				t.Fatalf("CheckRevocations found problems in a correct store:\n%v", errors.Join(errs...))
			}
		})
	}
}

// Each flaw must fail at least the listed checks.
func TestCheckCatchesFlaws(t *testing.T) {
	for flaw, want := range map[string][]string{
		"upsert-ignores-version":  {"UserVersionGuard", "UserDeactivate", "UserPermutations", "MembershipVersionGuard", "MembershipRecreate", "MembershipPermutations"},
		"upsert-applies-equal":    {"UserVersionGuard", "UserZeroVersion", "MembershipVersionGuard"},
		"upsert-clears-deletedat": {"UserUpsertKeepsDeletedAt", "UserTombstone", "UserPermutations"},
		// UserConcurrentWrites catches this flaw too, but only when the goroutine with
		// the latest time is not the last to write (49 runs in 50): not asserted.
		"deactivate-overwrites":              {"UserDeactivate", "UserTombstone"},
		"deactivate-unknown-noop":            {"UserTombstone", "UserPermutations"},
		"get-hides-deactivated":              {"UserDeactivate", "UserTombstone"},
		"not-found-nil-nil":                  {"UserNotFound"},
		"not-found-plain-error":              {"UserNotFound"},
		"ignores-context":                    {"UserCancelledContext", "OrgCancelledContext"},
		"drops-metadata":                     {"UserRoundTrip", "UserMetadataRoundTrip"},
		"seconds-precision":                  {"UserRoundTrip"},
		"zero-time-as-epoch":                 {"UserRoundTrip", "UserZeroVersion", "UserTombstone"},
		"shares-metadata":                    {"UserIsolation"},
		"racy-upsert":                        {"UserConcurrentWrites"},
		"org-upsert-ignores-version":         {"OrgVersionGuard", "OrgDelete", "OrgPermutations"},
		"org-delete-overwrites":              {"OrgDelete"},
		"shares-permissions":                 {"MembershipIsolation"},
		"permissions-sorted":                 {"MembershipRoundTrip"},
		"membership-hard-delete":             {"MembershipDelete", "MembershipRecreate", "MembershipTombstone", "MembershipPermutations"},
		"membership-upsert-clears-deletedat": {"MembershipDelete", "MembershipTombstone", "MembershipUpsertKeepsDeletedAt", "MembershipPermutations"},
		"deletion-loses-ties":                {"MembershipRecreate"},
		"list-includes-inactive":             {"MembershipDelete", "MembershipLists", "MembershipPermutations"},
		"list-unsorted":                      {"MembershipLists"},
		"list-locale-order":                  {"MembershipLists"},
		"list-keeps-deleted-org":             {"MembershipListsSkipDeletedOrganization"},
		"list-keeps-deactivated-user":        {"MembershipListsSkipDeactivatedUser"},
		"get-membership-hides-deleted-org":   {"MembershipListsSkipDeletedOrganization"},
		"get-membership-hides-deactivated":   {"MembershipListsSkipDeactivatedUser"},
		// PostgreSQL's text, as a store that sends it as it is would.
		"text-refused": {"UserInvalidText", "OrgInvalidText", "MembershipInvalidText"},
		// Keeps invalid UTF-8 as sent: what it returns is not valid UTF-8.
		"text-verbatim": {"UserInvalidText", "OrgInvalidText", "MembershipInvalidText"},
		// Stores invalid text as "": valid UTF-8, but not the value sent.
		"text-dropped": {"UserInvalidText", "OrgInvalidText", "MembershipInvalidText"},
		// Writes nil records, ids CleanID refuses, metadata that is not JSON, zero times.
		"accepts-invalid": {"UserRefused", "OrgRefused", "MembershipRefused"},
		// Refuses them, but with an error that does not wrap store.ErrInvalid.
		"refusal-not-errinvalid": {"UserRefused", "OrgRefused", "MembershipRefused"},
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			errs := storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) {
				s := newFlawedStore(flaw)
				return s, s
			})
			got := failedChecks(t, errs)
			for _, name := range want {
				if !slices.Contains(got, name) {
					t.Errorf("check %s did not fail; failed: %q", name, got)
				}
			}
		})
	}
}

func TestCheckRevocationsCatchesFlaws(t *testing.T) {
	for flaw, want := range map[string][]string{
		"revoke-noop":            {"RevocationRevoke", "RevocationConcurrent", "RevocationCancelledContext"},
		"revoked-ignores-expiry": {"RevocationExpired"},
		"ignores-context":        {"RevocationCancelledContext"},
		"accepts-invalid":        {"RevocationRefused"},
		"refusal-not-errinvalid": {"RevocationRefused"},
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			errs := storetest.CheckRevocations(t, func(*testing.T) store.Revocations { return newFlawedStore(flaw) })
			got := failedChecks(t, errs)
			for _, name := range want {
				if !slices.Contains(got, name) {
					t.Errorf("check %s did not fail; failed: %q", name, got)
				}
			}
		})
	}
}

// Only the checks of the stores the factory returns run.
func TestCheckSkipsMissingStores(t *testing.T) {
	var usersOnly, orgsOnly int
	errs := storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) {
		usersOnly++
		return newFlawedStore("ignores-context"), nil
	})
	if got := failedChecks(t, errs); !slices.Equal(got, []string{"UserCancelledContext"}) {
		t.Errorf("users only: failed checks %q, want only UserCancelledContext", got)
	}
	errs = storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) {
		orgsOnly++
		return nil, newFlawedStore("ignores-context")
	})
	if got := failedChecks(t, errs); !slices.Equal(got, []string{"OrgCancelledContext"}) {
		t.Errorf("orgs only: failed checks %q, want only OrgCancelledContext", got)
	}
	if usersOnly == 0 || usersOnly != orgsOnly {
		t.Errorf("the factory was called %d and %d times, want once per check each time", usersOnly, orgsOnly)
	}

	errs = storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) { return nil, nil })
	if len(errs) != usersOnly || !strings.Contains(errs[0].Error(), "neither a store.Users nor a store.Orgs") {
		t.Errorf("no store at all: %d errors (want %d), first %v", len(errs), usersOnly, errs[0])
	}
	errs = storetest.CheckRevocations(t, func(*testing.T) store.Revocations { return nil })
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "no store.Revocations") {
		t.Errorf("no revocation store: errors %v", errs)
	}
}

// The check of memberships of deactivated users needs an Orgs store that
// also keeps users: it is skipped for one that does not, and the check of
// deleted organizations still runs.
func TestCheckSkipsDeactivatedUserWithoutUsers(t *testing.T) {
	for flaw, want := range map[string][]string{
		"list-keeps-deactivated-user": nil,
		"list-keeps-deleted-org":      {"MembershipListsSkipDeletedOrganization"},
	} {
		errs := storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) {
			s := newFlawedStore(flaw)
			return s, orgsOnly{s} // users and organizations from the same data, but not through the Orgs store
		})
		if got := failedChecks(t, errs); !slices.Equal(got, want) {
			t.Errorf("%s: failed checks %q, want %q", flaw, got, want)
		}
	}
}

// orgsOnly hides every method but the store.Orgs ones.
type orgsOnly struct{ store.Orgs }

// A store that panics fails the check instead of crashing the test.
func TestCheckReportsPanics(t *testing.T) {
	errs := storetest.Check(t, func(*testing.T) (store.Users, store.Orgs) {
		return panickingStore{}, nil
	})
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "the store panicked: boom") {
		t.Fatalf("errors %v, want one saying the store panicked", errs)
	}
}

type panickingStore struct{ store.Users }

func (panickingStore) GetUser(ctx context.Context, id string) (*store.User, error) { panic("boom") }
func (panickingStore) UpsertUser(ctx context.Context, u *store.User) (bool, error) { panic("boom") }
func (panickingStore) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	panic("boom")
}
