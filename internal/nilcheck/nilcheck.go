// Package nilcheck tells a nil behind an interface: the configuration checks of clerkauth
// and webhook use it so that a typed nil (a nil *UserCache given as a UserStore, say) is
// refused when a component is built, never found by the first call that panics on it.
package nilcheck

import "reflect"

// IsNil reports whether v is nil, or an interface value holding a nil pointer, map,
// slice, func, channel or interface.
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
