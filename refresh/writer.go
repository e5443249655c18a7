package refresh

import (
	"net/http"

	"github.com/execauth/execauth/token"
)

// writer wraps the ResponseWriter of a request [Reissuer.Middleware] may act
// on. It runs attach (if set) once, with the final status, right before the
// header is sent (WriteHeader, the first Write or Flush), and remembers that
// the header went out; everything else passes through. Like any
// ResponseWriter it is used by one goroutine at a time.
//
// Why a wrapper, and why here: net/http offers no way to ask whether a
// response's header was sent — after it was, changes to the header map are
// silently dropped — so the only way for [Reissuer.Exchange] to notice is a
// writer that sees the first write. Reissuer.Middleware installs it only for
// the requests that need it (a workload token, which may be exchanged, and
// an execution token due for reissue), so the common request keeps the
// server's own writer and costs no allocation; Authenticate wrapping every
// request would cost one each and hide the writer's optional interfaces
// from type assertions. The wrapper keeps [http.ResponseController] and
// [http.Flusher] working: it implements FlushError and Flush itself (a
// flush sends the header) and Unwrap for deadlines, hijacking and full
// duplex.
type writer struct {
	http.ResponseWriter
	attach func(status int) // nil: only record that the header was sent
	done   bool             // the header (with a final status) was sent
	// exchanged is the token Exchange handed to this response, kept off the
	// header map until attach sees the final status: an informational
	// response, an error status or a panic never carries it.
	exchanged token.Raw
}

// commit runs attach for the first final status. Informational 1xx
// responses (other than 101, which ends HTTP) send the header map too, but the
// final status is still to come.
func (w *writer) commit(status int) {
	if w.done || (status >= 100 && status < 200 && status != http.StatusSwitchingProtocols) {
		return
	}
	w.done = true
	if w.attach != nil {
		w.attach(status)
	}
}

func (w *writer) WriteHeader(status int) {
	w.commit(status)
	w.ResponseWriter.WriteHeader(status)
}

func (w *writer) Write(b []byte) (int, error) {
	w.commit(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// FlushError is what [http.ResponseController.Flush] calls first.
func (w *writer) FlushError() error {
	w.commit(http.StatusOK)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush implements [http.Flusher].
func (w *writer) Flush() { _ = w.FlushError() }

// Unwrap lets [http.ResponseController] reach the server's writer for
// deadlines, hijacking and full duplex.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middlewareWriter returns the writer of Reissuer.Middleware below w, found
// through the Unwrap chain that ResponseWriter wrappers follow, or nil.
func middlewareWriter(w http.ResponseWriter) *writer {
	for w != nil {
		if rw, ok := w.(*writer); ok {
			return rw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}
