package storetest

// storeChecks are the checks of Run and Check, in order.
var storeChecks = concat(
	userChecks,
	orgChecks,
	membershipChecks,
	membershipParentChecks,
	textChecks,
	refusedChecks,
	concurrencyChecks,
	permutationChecks,
	cancelChecks,
)

func concat(lists ...[]check) []check {
	var out []check
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
