// Package typednil tells a nil value behind an interface, so that constructors of
// clerkauth and clerkauth/machine refuse a typed nil (a nil *UserCache given as a
// store.Users, say) at construction instead of panicking on first use.
package typednil

import "reflect"

// IsNil reports whether v is nil, or an interface value holding a nil pointer, map,
// slice, func, channel or interface: NewVerifier and NewUserCache refuse a typed nil
// (a nil *UserCache given as Config.Users, say) when they build, instead of the first
// request panicking on it.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
