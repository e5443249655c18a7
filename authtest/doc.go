// Package authtest provides what a host server's tests need to exercise its
// execauth setup: a token [Issuer] with ephemeral keys published by an
// httptest JWK Set server, token factories per class with per-call
// [Override]s, a ready token.Verifier and middleware, and a fake [Clock].
// [WithClasses] adds a host's own token classes, minted with [Issuer.Mint].
// Tokens are token.Raw, which redacts itself when printed; string(raw) is
// the token text.
//
// It uses only the standard library's testing package, so importing it
// pulls no assertion library into a build. Every helper takes a testing.TB,
// marks itself as a helper and fails the test on a setup error.
//
// # Example
//
//	func TestHeartbeat(t *testing.T) {
//		iss := authtest.NewIssuer(t)
//		h := iss.Middleware(t)(heartbeatHandler)
//		task := uuid.New()
//
//		req := httptest.NewRequest("PUT", "/task-instances/"+task.String()+"/heartbeat", nil)
//		req.Header.Set("Authorization", "Bearer "+string(iss.Execution(t, task, authtest.Expired())))
//		rec := httptest.NewRecorder()
//		h.ServeHTTP(rec, req)
//		if rec.Code != http.StatusUnauthorized {
//			t.Errorf("expired token: status %d, want 401", rec.Code)
//		}
//	}
package authtest
