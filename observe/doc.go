// Package observe reports every decision the execauth components make, for
// metrics, traces and audit, without token content.
//
// One [Hooks] value, shared by every component that should report, holds a
// func per kind of event; each Config of the other packages has a Hooks field
// (nil: nothing is reported):
//
//   - [Auth]: middleware.Authenticate admitted or refused a request, and why
//     (route pattern, token class, status, reason code, cache hit, how long
//     verification took); a route requirement refused one.
//   - [Reissue]: refresh.Reissuer minted, declined (and why) or failed to mint
//     a reissued or exchanged token.
//   - [Fetch], [Stale], [KeyMiss]: jwks.Cache fetched a JWK Set (keys added,
//     removed, skipped and why), dropped the keys of a URL past MaxStale, or
//     its unknown-kid refresh limiter decided.
//   - [Revocation]: token.Verifier refused a token as revoked, or could not
//     tell.
//   - [RevocationSync], [RevocationState]: revoke.List synced with its store
//     (or failed to), or its view passed MaxStale and fails closed (or open),
//     or is fresh again.
//   - [KeyReload]: jwks.Dir read its key directory and applied a new state,
//     found the same one, or refused it and kept the last good one.
//   - [Swap], [Retry], [FileRead]: on the client, refresh.Transport adopted
//     or ignored a new token and retried after a 401; refresh.FileSource read
//     its token file.
//
// # Design
//
// Hooks is a struct of optional funcs, like net/http/httptrace.ClientTrace,
// rather than an interface: an observer sets only the events it wants, and a
// new kind of event is a new field, which breaks no one's code. Events are
// small structs passed by value, so reporting one does not allocate, and a
// component whose hook is unset does not even read the clock. Every field of
// every event is fixed text (reason codes, outcomes), a route pattern the host
// chose, a number, or a URL without credentials: never a token, a claim
// value or a kid, so an event can go to a metric label or a span attribute
// as it is. Errors carried by events may name a file or a URL and are meant
// for logs, not labels.
//
// The hooks run synchronously on the goroutine that decided, often on the
// request path: they must be quick and must not block. A panicking hook is
// contained: the decision goes on as if the hook had returned, the first
// panic is logged (by type only) and every one is counted ([Hooks.Panics]).
// Hooks never change a decision.
//
// The package imports only the standard library, so that jwks, token,
// middleware and refresh can all report through it. The OpenTelemetry module
// (github.com/execauth/execauth/otel) turns Hooks into metrics and spans.
//
// # Example
//
//	hooks := &observe.Hooks{
//		OnAuth: func(ctx context.Context, e observe.Auth) {
//			if !e.Admitted {
//				rejected.Add(e.Reason, 1)
//			}
//		},
//	}
//	auth := middleware.Authenticate(middleware.Config{Verifier: v, Hooks: hooks})
package observe
