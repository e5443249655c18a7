// Package revoke revokes tokens and subjects across the replicas of an API.
//
// A [Store] holds revocations where every replica can read them: [Memory]
// for a single process, the Redis store of module
// github.com/execauth/execauth/redisstore for a fleet, or any database
// behind the small interface. Each replica keeps a [List], a local view of
// the store synced in the background, so that checking a token on the
// request path costs two map lookups and no round trip.
//
// Two kinds of revocation exist, keyed on claims and never on the raw
// token (an ECDSA signature can be altered into a second valid one):
//   - one token, by its jti, kept until its exp plus [ExpiryMargin];
//   - a subject as of a cutoff: every token of that sub with iat at or
//     before the cutoff's second, kept for the longest token lifetime after
//     it. A finished or killed task, or a compromised processor, is revoked
//     this way.
//
// # Faults
//
// A list that cannot reach its store keeps its view and keeps refusing what
// it knows, and fails closed once the view is staler than
// [Config.MaxStale]: [List.Check] then returns an error matching
// [ErrUnavailable], which servers answer with 503 and Retry-After. Only
// [Config.InsecureFailOpenFor] lets it admit longer, for a bounded time.
// A list forgets an entry only past its Until, so revocations written
// before an outage hold after it, and a restarted replica loads every live
// entry before [NewList] returns.
//
// [Config.Hooks] reports every sync (its result, duration and entries) and
// each change of the view's freshness, for metrics: a view failing closed is
// seen within one poll interval.
//
// The store also records the first run exchange of each subject
// ([Store.FirstExchange]), so that a retried exchange, on any replica, stays
// in the chain that the first one started.
//
// # Example
//
//	store := revoke.NewMemory(nil)
//	list, err := revoke.NewList(ctx, revoke.Config{Store: store})
//	defer list.Close()
//	v, err := token.NewVerifier(token.VerifierConfig{..., Revocations: list})
//
//	// The task finished: every token of it issued until now is refused.
//	err = list.RevokeSubject(ctx, taskID, time.Now())
package revoke
