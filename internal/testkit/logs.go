// Package testkit holds test helpers shared by the packages of this module:
// log capture, deterministic keys and signing helpers. Only tests import it.
package testkit

import (
	"context"
	"log/slog"
	"sync"
)

// ErrorLogger returns a logger that passes the error of every record that
// carries one under "err" to add, as components report failures through
// their Logger. add may be called from several goroutines.
func ErrorLogger(add func(error)) *slog.Logger {
	return slog.New(errorHandler{add: add})
}

type errorHandler struct{ add func(error) }

func (errorHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h errorHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			h.add(err)
		}
		return true
	})
	return nil
}

func (h errorHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h errorHandler) WithGroup(string) slog.Handler      { return h }

// Errors collects errors safely from several goroutines.
type Errors struct {
	mu   sync.Mutex
	errs []error
}

// Add records err.
func (e *Errors) Add(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// All returns a copy of the errors recorded so far.
func (e *Errors) All() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}
