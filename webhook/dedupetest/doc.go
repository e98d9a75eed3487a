// Package dedupetest checks that an implementation of [webhook.Dedupe]
// keeps its contract: atomic claims, done marks, release by the claim's
// owner only (a stale release never deletes the claim of the delivery
// that took an expired lease over), lease and TTL expiry. A store package calls [Run] from one of its tests:
//
//	func TestRedisDedupe(t *testing.T) {
//		client := newTestClient(t) // skips when no Redis is configured
//		dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) {
//			store, err := redisstore.New(client, redisstore.Config{Prefix: uniquePrefix(t)})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return store, nil // nil: wait in real time
//		})
//	}
//
// A store with an injectable clock returns a function that advances it,
// and Run then never sleeps:
//
//	dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) {
//		clock := newFakeClock()
//		d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{Now: clock.Now})
//		if err != nil {
//			t.Fatal(err)
//		}
//		return d, clock.Advance
//	})
//
// Run uses ids unique to each run, so a store shared between subtests or
// left over from an earlier run does not interfere.
package dedupetest
