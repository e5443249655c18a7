// Package middleware authenticates HTTP requests with bearer tokens (RFC 6750)
// and admits, per route, only the token classes and subjects it names.
//
// [Authenticate] reads the token from the Authorization header, verifies it
// with a token.Verifier, checks its class against [Config.Classes] (by
// default the classes the Verifier's token.Classes accept by default:
// execution only) and puts the claims in the request context.
// [RequireScopes] and [RequireSubject] add per-route checks inside it. Every
// rejection is an [*Error] rendered by [WriteError] as RFC 6750 asks: 400
// invalid_request, 401 (bare challenge or invalid_token), 403
// insufficient_scope, or 503 with Retry-After when keys are unavailable,
// always with a fixed JSON body {"detail": "..."} and nothing from the token.
//
// # Example
//
//	auth := middleware.Authenticate(middleware.Config{Verifier: v})
//	run := middleware.Authenticate(middleware.Config{
//		Verifier: v,
//		Classes:  []scope.Scope{scope.Workload, scope.Execution},
//	})
//	self := middleware.RequireSubject("id")
//	mux.Handle("PATCH /task-instances/{id}/run", run(self(runHandler)))
//	mux.Handle("PUT /task-instances/{id}/heartbeat", auth(self(heartbeatHandler)))
package middleware
