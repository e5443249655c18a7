package benchmarks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
)

// admitted is the handler behind every middleware.
var admitted = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

// heartbeat is the path of the requests sent: the most frequent call of an
// execution API.
const heartbeat = "/execution/task-instances/0198c5a4-8b1e-7c3d-9f2a-4e6b8d0c1a2f/heartbeat"

// viaHTTP returns a prepare func that sends raw through h as a bearer token.
// The request is built once (no middleware modifies it); each check gets a
// fresh recorder and succeeds only if the next handler answered.
func viaHTTP(h http.Handler) func(raw string) func() error {
	return func(raw string) func() error {
		req := httptest.NewRequest(http.MethodPut, heartbeat, nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		req.Header.Set("Accept", "application/json")
		return func() error {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				return fmt.Errorf("%w: status %d", errStatus, rec.Code)
			}
			return nil
		}
	}
}
