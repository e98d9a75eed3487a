package storecheck_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
)

func Example() {
	errInvalid := errors.New("mystore: invalid argument")
	fmt.Println(storecheck.ID(errInvalid, "user", "user_2abc"))
	fmt.Println(storecheck.ID(errInvalid, "user", ""))
	err := storecheck.Deletion(errInvalid, "organization", "org_\xff", time.Now())
	fmt.Println(err, errors.Is(err, errInvalid))
	fmt.Println(storecheck.Deletion(errInvalid, "organization", "org_2abc", time.Time{}))
	fmt.Println(storecheck.Metadata(errInvalid, []byte(`{"plan":`)))
	// Output:
	// <nil>
	// mystore: invalid argument: empty user id
	// mystore: invalid argument: organization id "org_\xff" is not valid UTF-8 without NUL true
	// mystore: invalid argument: zero deletion time
	// mystore: invalid argument: public metadata is not valid JSON
}
