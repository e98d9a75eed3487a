package memstore

// Revocations returns the number of revocations held, expired ones not yet
// swept included.
func (s *Store) Revocations() int { return s.revocations() }
