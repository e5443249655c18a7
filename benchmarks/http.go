package benchmarks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
)

// statusWriter is the response writer of every middleware request: reset
// and reused, so that no contender's time includes building a recorder
// (httptest.NewRecorder and its header snapshot allocate four times per
// request, more than some middlewares do).
type statusWriter struct {
	header http.Header
	code   int
}

func (w *statusWriter) Header() http.Header { return w.header }

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (w *statusWriter) reset() {
	clear(w.header)
	w.code = 0
}

// admitted is the handler behind every middleware.
var admitted = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

// heartbeat is the path of the requests sent: the most frequent call of an
// execution API.
const heartbeat = "/execution/task-instances/0198c5a4-8b1e-7c3d-9f2a-4e6b8d0c1a2f/heartbeat"

// viaHTTP returns a prepare func that sends raw through h as a bearer token.
// The request is built once (no middleware modifies it); each check resets
// the writer and succeeds only if the next handler answered. With warm, one
// untimed request goes first (to fill a cache).
func viaHTTP(h http.Handler, warm bool) func(raw string) func() error {
	return func(raw string) func() error {
		req := httptest.NewRequest(http.MethodPut, heartbeat, nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		req.Header.Set("Accept", "application/json")
		w := &statusWriter{header: make(http.Header)}
		check := func() error {
			w.reset()
			h.ServeHTTP(w, req)
			if w.code != http.StatusNoContent {
				return fmt.Errorf("%w: status %d", errStatus, w.code)
			}
			return nil
		}
		if warm {
			_ = check()
		}
		return check
	}
}
