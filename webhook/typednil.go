package webhook

import "reflect"

// isNil reports whether v is nil, or an interface value holding a nil pointer, map,
// slice, func, channel or interface: Sync refuses a typed nil store (a nil *UserCache
// given as a store.Users, say) when it registers its functions, instead of the first
// webhook panicking on it.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
