// Package execotel turns the decisions execauth reports through
// observe.Hooks into OpenTelemetry metrics and spans.
//
// [New] returns one *observe.Hooks; give it to every component's Config
// (middleware, token.Verifier, refresh.Reissuer, jwks.Cache, jwks.Dir,
// revoke.List, refresh.Transport, refresh.FileSource). Metrics, all prefixed
// "execauth.":
//
//	auth.requests          counter    every decision of authentication
//	verify.duration        histogram  seconds per verification (s)
//	reissue.decisions      counter    reissue and run-exchange decisions
//	jwks.fetches           counter    JWK Set fetches per URL and outcome
//	jwks.fetch.duration    histogram  seconds per fetch (s)
//	jwks.keys.added        counter    keys a fetch added to a URL's set
//	jwks.keys.removed      counter    keys a fetch removed
//	jwks.keys.skipped      counter    keys left out of a set, per reason
//	jwks.staleness         gauge      seconds since a URL's last successful fetch
//	jwks.stale             counter    URLs whose keys passed MaxStale
//	jwks.key_misses        counter    unknown-kid refresh limiter decisions
//	revocations            counter    tokens refused at the revocation check
//	revocation.syncs       counter    revocation list syncs with the store, by outcome
//	revocation.staleness   gauge      seconds since the list's last successful sync
//	keys.reloads           counter    key directory reads: applied, unchanged, refused
//	client.swaps           counter    refresh headers adopted or ignored
//	client.retries         counter    what the client did after a 401
//	client.file_reads      counter    token file reads
//
// Spans: "execauth.verify" for each verification (a child of the request's
// span when the host traces requests), "execauth.jwks.fetch" for each fetch
// and "execauth.reissue" / "execauth.exchange" for each token minted.
//
// Attribute values come from a bounded set: the route pattern
// (http.route), the token class, outcome and reason codes, HTTP status
// codes, and JWK Set URLs without userinfo or query (url.full). Never a
// token, a claim value (sub, jti), a kid, or an error's text.
//
// # Example
//
//	hooks, err := execotel.New(execotel.Config{}) // the global providers
//	auth := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks})
//	keys, err := jwks.NewCache(ctx, jwks.CacheConfig{URLs: urls, Hooks: hooks})
package execotel
