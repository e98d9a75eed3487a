package clerkauth

// RawClaimsless returns a copy of s without its raw payload, for comparing sessions built
// from different token bytes.
func RawClaimsless(s *Session) Session {
	c := *s
	c.payload = ""
	c.TokenID = ""
	return c
}
