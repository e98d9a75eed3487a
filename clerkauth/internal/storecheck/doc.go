// Package storecheck holds the argument checks that the stores of this
// module (memstore, sqlstore) make before a write, so that they refuse the
// same input with the same message. Each check wraps the calling store's
// own sentinel error, which callers match with errors.Is.
package storecheck
