package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
)

// BenchmarkAuthenticate measures a full admitted request: header parsing,
// verification with a static key, the class check, claims into the context
// and the next handler, through a ResponseRecorder.
func BenchmarkAuthenticate(b *testing.B) {
	for _, alg := range []struct {
		name string
		key  func(testing.TB) *jwks.SigningKey
	}{
		{"ES256", func(tb testing.TB) *jwks.SigningKey { return ecKey(tb, testKID) }},
		{"EdDSA", func(tb testing.TB) *jwks.SigningKey { return edKey(tb, testKID, 1) }},
	} {
		b.Run(alg.name, func(b *testing.B) {
			f := newFixture(b, alg.key(b))
			h := middleware.Authenticate(middleware.Config{Verifier: f.verifier})(reply(http.StatusNoContent))
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			r.Header.Set("Authorization", bearer(f.execution(b, taskA)))
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusNoContent {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
