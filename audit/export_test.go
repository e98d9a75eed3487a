package audit

// Internals for the tests of package audit_test.

// TruncateForTest is truncate.
var TruncateForTest = truncate

const (
	MaxPathBytes      = maxPathBytes
	MaxUserAgentBytes = maxUserAgentBytes
	TruncatedSuffix   = truncatedSuffix
)
