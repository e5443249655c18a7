package observe

import "time"

// Auth is one decision of middleware.Authenticate, or a refusal by a route
// requirement (RequireScopes, RequireSubject) inside it.
type Auth struct {
	// Route is the request's ServeMux pattern (http.Request.Pattern), such
	// as "PUT /task-instances/{id}/heartbeat"; "" when the request was not
	// routed by a pattern. Never the path, which may name the token's subject.
	Route string
	// Class is the verified token's class ("workload", "execution",
	// "processor", or one the host defined); "" when no token verified.
	Class string
	// Admitted reports that the request went on to the next handler.
	Admitted bool
	// Requirement reports a refusal by a route requirement, for a request
	// that Authenticate had admitted (and reported as admitted).
	Requirement bool
	// Status is the HTTP status of a refusal: 400, 401, 403, 500 or 503;
	// 0 when admitted.
	Status int
	// Reason is the stable reason code of a refusal, as
	// (*middleware.Error).Reason returns it ("no_credentials", "expired",
	// "insufficient_scope", …; the README lists them); "" when admitted.
	Reason string
	// CacheHit reports that the verifier found the token in its cache of
	// verified tokens (token.VerifierConfig.CacheSize) and did not check its
	// signature again, whatever the outcome.
	CacheHit bool
	// Start is when verification began and Duration how long it took. Both
	// are zero when verification did not run: no credentials, an
	// Authorization header that could not be parsed, a refusal by a route
	// requirement.
	Start    time.Time
	Duration time.Duration
}

// Kinds of [Reissue].
const (
	// KindReissue: refresh.Reissuer.Middleware renewing an execution token
	// near its expiry.
	KindReissue = "reissue"
	// KindExchange: refresh.Reissuer.Exchange trading a workload token for
	// the first execution token of a chain at the run route.
	KindExchange = "exchange"
)

// Outcomes of a [Reissue].
const (
	Minted   = "minted"   // a new token is in the response header
	Declined = "declined" // no token, by rule; Reissue.Reason says which
	Failed   = "failed"   // minting failed; Reissue.Err says why
)

// Reasons of a declined [Reissue].
const (
	// NotDue: the token is not yet in its reissue window.
	NotDue = "not_due"
	// WrongClass: a class that is never reissued (workload, processor) or
	// exchanged (anything but workload).
	WrongClass = "class"
	// NotOurs: the token is of another issuer or signed by a key the issuer
	// does not hold.
	NotOurs = "not_ours"
	// Expired: the token is at or past its exp (leeway extends nothing).
	Expired = "expired"
	// ChainTooOld: the chain began MaxChainAge ago or earlier.
	ChainTooOld = "chain_too_old"
	// HostDeclined: ReissuerConfig.Allow returned false, or panicked.
	HostDeclined = "host_declined"
	// ErrorStatus: the handler answered outside [200, 400), and an error
	// response never carries a credential.
	ErrorStatus = "error_status"
)

// Reissue is one decision of refresh.Reissuer about handing out a token.
// The reissue middleware reports one per authenticated request; the run
// exchange one per call for a workload token or a class it refuses.
type Reissue struct {
	// Kind is KindReissue or KindExchange.
	Kind string
	// Outcome is Minted, Declined or Failed.
	Outcome string
	// Reason says why a token was declined: NotDue, WrongClass, NotOurs,
	// Expired, ChainTooOld, HostDeclined or ErrorStatus; "" otherwise.
	Reason string
	// Route is the request's ServeMux pattern; "" when not routed by one.
	Route string
	// Class is the presented token's class.
	Class string
	// Status is the response status a reissue was decided at; 0 when it
	// was decided before the handler answered, and for an exchange.
	Status int
	// Start is when minting began and Duration how long it took; both are
	// zero when nothing was minted or tried.
	Start    time.Time
	Duration time.Duration
	// Err is why minting failed (it matches token.ErrNotMinted); nil
	// otherwise. It carries no token content.
	Err error
}

// Fetch is one fetch of one JWK Set URL by jwks.Cache, at start, on its
// refresh interval or for an unknown kid.
type Fetch struct {
	// URL is the JWK Set URL without userinfo, query or fragment.
	URL string
	// Start is when the request began and Duration how long the fetch took,
	// body and parsing included.
	Start    time.Time
	Duration time.Duration
	// Status is the HTTP status of the response; 0 when there was none
	// (connection refused, timeout).
	Status int
	// Err is why the fetch failed (the keys held from the URL are kept);
	// nil on success. It may name the URL, never a credential.
	Err error
	// Keys is how many usable keys the URL serves after a successful fetch.
	Keys int
	// Added and Removed count the keys (kid, algorithm and public key) that
	// a successful fetch gained and lost against the URL's previous set.
	Added, Removed int
	// Skipped holds, for each key of the set left out, why: "malformed",
	// "unsupported_key", "weak_key", "key_mismatch",
	// "unsupported_algorithm", "invalid_kid", "duplicate_kid" or
	// "missing_kid". Nil when none was.
	Skipped []string
}

// Stale reports that jwks.Cache stopped using the keys of a URL, because its
// last successful fetch is MaxStale old. Lookups that need them fail with
// keys unavailable (503) until a fetch succeeds.
type Stale struct {
	// URL is the JWK Set URL without userinfo, query or fragment.
	URL string
	// Age is the time since the URL's last successful fetch.
	Age time.Duration
}

// Outcomes of a [KeyMiss].
const (
	// Fetched: the miss started a fetch of every URL.
	Fetched = "fetched"
	// Joined: a fetch was under way; the lookup waited for it.
	Joined = "joined"
	// Limited: the cooldown since the last fetch has not passed (or the
	// cache is closed); the lookup failed at once, without waiting.
	Limited = "limited"
)

// KeyMiss is what jwks.Cache's unknown-kid refresh limiter did for a lookup
// of a kid it does not hold. Lookups without kid, with an invalid one or in
// a cache without URLs never fetch and are not reported.
type KeyMiss struct {
	// Outcome is Fetched, Joined or Limited.
	Outcome string
}

// Outcomes of a [Revocation].
const (
	// Revoked: the token's jti, or its subject as of its iat, is revoked;
	// the token was refused (401, reason "revoked").
	Revoked = "revoked"
	// Unavailable: the revocation list could not answer (never synced, or
	// staler than it may be); the token was refused (503, reason
	// "revocation_unavailable").
	Unavailable = "unavailable"
)

// Revocation is a token that token.Verifier refused at its revocation
// check, the last check, after every other one passed.
type Revocation struct {
	// Outcome is Revoked or Unavailable.
	Outcome string
	// CacheHit reports that the token came from the verifier's cache of
	// verified tokens.
	CacheHit bool
	// Err is why the list could not answer, for Unavailable; nil otherwise.
	Err error
}

// Outcomes of a [Swap].
const (
	// Swapped: the new token replaces the one the Transport sends.
	Swapped = "swapped"
	// Pinned: the Source is pinned (a provisioned token); the header was
	// ignored.
	Pinned = "pinned"
	// Malformed: the header held more than one value or no compact JWS; it
	// was ignored. For a refused [KeyReload]: the manifest or a key file
	// cannot be decoded or breaks the format's rules.
	Malformed = "malformed"
)

// Swap is a response from the bound origin that carried the refresh header, and
// what refresh.Transport did with it.
type Swap struct {
	// Origin is the Transport's bound origin, scheme://host:port.
	Origin string
	// Status is the response's status: a token may come with any.
	Status int
	// Outcome is Swapped, Pinned or Malformed.
	Outcome string
}

// Outcomes of a [Retry].
const (
	// Retried: the request was sent once more with a newer token.
	Retried = "retried"
	// Unchanged: no newer token than the one refused; the 401 stands. For a
	// [KeyReload]: the key directory holds the state already in use.
	Unchanged = "unchanged"
	// NotReplayable: the request body cannot be sent again (no GetBody);
	// the 401 stands.
	NotReplayable = "not_replayable"
	// SourceError: the Source failed to give a token; the 401 stands.
	SourceError = "source_error"
)

// Retry is what refresh.Transport did after the bound origin answered 401.
type Retry struct {
	// Origin is the Transport's bound origin, scheme://host:port.
	Origin string
	// Outcome is Retried, Unchanged, NotReplayable or SourceError.
	Outcome string
	// Status is the status of the retried request's response; 0 when it was
	// not retried or got no response.
	Status int
}

// FileRead is one read of refresh.FileSource's token file: when the cached
// token was due, or at once after a 401 (Reload).
type FileRead struct {
	// Path is the token file's path as configured.
	Path string
	// Forced reports a read after a 401 (FileSource.Reload).
	Forced bool
	// Changed reports that the file held another token than the one cached.
	Changed bool
	// Err is why the read failed (missing, empty, unreadable file); the last
	// good token is kept. nil on success.
	Err error
}
