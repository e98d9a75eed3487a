package webhook

// Internals the external tests read.

const (
	DefaultMaxBodyBytes     = defaultMaxBodyBytes
	DefaultClaimLease       = defaultClaimLease
	DefaultRevocationTTL    = defaultRevocationTTL
	MaxSignatureHeaderBytes = maxSignatureHeaderBytes
)

// Len returns the number of ids d holds.
func (d *MemoryDedupe) Len() int { return d.len() }
