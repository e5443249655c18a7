package refresh

import "net/http"

// writer runs attach once, with the final status, right before the header is
// sent (WriteHeader, the first Write or Flush); everything else passes
// through. Like any ResponseWriter it is used by one goroutine at a time.
type writer struct {
	http.ResponseWriter
	attach func(status int)
	done   bool
}

// commit runs attach for the first final status. Informational 1xx
// responses (other than 101, which ends HTTP) send the header map too, but the
// final status is still to come.
func (w *writer) commit(status int) {
	if w.done || (status >= 100 && status < 200 && status != http.StatusSwitchingProtocols) {
		return
	}
	w.done = true
	w.attach(status)
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
