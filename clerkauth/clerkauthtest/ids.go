package clerkauthtest

import "crypto/rand"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by 27 random base62 characters, the shape of Clerk's ids
// ("user_2abc…", "sess_…", "org_…", "ins_…").
func NewID(prefix string) string {
	var b [27]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	out := make([]byte, 0, len(prefix)+len(b))
	out = append(out, prefix...)
	for _, c := range b {
		out = append(out, base62[int(c)%len(base62)])
	}
	return string(out)
}
