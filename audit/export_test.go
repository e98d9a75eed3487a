package audit

// TruncateForTest is truncate, for the tests of package audit_test.
var TruncateForTest = truncate
