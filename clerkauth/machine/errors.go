package machine

import "errors"

// ErrBackendAPIUnauthorized is wrapped (with clerkauth.ErrBackendAPI) when Clerk's
// Backend API answers 401 or 403: the configured secret key was refused. It is the
// operator's to fix (a revoked, rotated or wrong-instance key); clients get 503 through
// clerkauth.ErrBackendAPI, and the BackendAPI logs it at Error level, at most once a
// minute.
var ErrBackendAPIUnauthorized = errors.New("machine: Clerk Backend API refused the configured secret key")

// ErrBackendAPIRateLimited is wrapped (with clerkauth.ErrBackendAPI) when a token that
// needed a call was not sent to Clerk because this BackendAPI's own limits were reached:
// its share of the calls-per-second budget (BackendAPIConfig.MaxCallsPerSecond and
// MaxCallBurst) or of the calls in flight (MaxConcurrentCalls) was spent. The refusal is
// immediate and never cached; clients get 503 through clerkauth.ErrBackendAPI, and a
// client that presents the same token again is served from a reserve that a flood of
// distinct made-up tokens cannot spend (see BackendAPI). Seeing it under normal traffic
// means the limits are too low; under a flood of unknown tokens, that they protect the
// instance's Backend API quota.
var ErrBackendAPIRateLimited = errors.New("machine: Clerk Backend API calls limited by this process")

// ErrBackendAPIThrottled is wrapped (with clerkauth.ErrBackendAPI) when Clerk's Backend
// API answered 429 (the instance's quota is spent), and for every token needing a call
// during the pause that follows (the answer's Retry-After, by default
// DefaultBackendAPIRetryAfter, at most MaxBackendAPIRetryAfter), which is refused without
// asking Clerk. Never cached.
var ErrBackendAPIThrottled = errors.New("machine: Clerk Backend API rate limit reached")

// errNotClerkAnswer marks a 200 answer that is not the verify endpoint's object: no
// "object", another one, or not a JSON object at all. It is what a wrong
// BackendAPIConfig.URL or a catch-all proxy answers; it never authenticates anything.
var errNotClerkAnswer = errors.New("not the endpoint's object")
