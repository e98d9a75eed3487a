package orgctx

import "errors"

// Reasons a request has no organization or is refused by a guard. [Failure.Err] wraps
// one of them for a guard's refusal.
var (
	// ErrNoOrg: the request has no active organization (or is not authenticated).
	// OrgID returns it; a guard answers it 403.
	ErrNoOrg = errors.New("orgctx: no active organization")
	// ErrUnauthenticated: no authentication middleware authenticated the request
	// (it ran in optional mode with no credentials, or not at all). A guard answers 401.
	ErrUnauthenticated = errors.New("orgctx: not authenticated")
	// ErrRole: the user's role in the active organization is not one of those required. 403.
	ErrRole = errors.New("orgctx: role not allowed")
	// ErrPermission: the user lacks a required permission in the active organization. 403.
	ErrPermission = errors.New("orgctx: permission missing")
	// ErrOrgMismatch: the organization named in the path is not the active one. 404.
	ErrOrgMismatch = errors.New("orgctx: not the active organization")
)
