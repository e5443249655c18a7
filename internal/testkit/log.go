// Package testkit holds test helpers shared by the packages of this module:
// log capture, keys, signing helpers and a JWK Set server. Only tests import
// it.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer that goroutines may write while another reads:
// a sink for log records and command output. The zero value is ready.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a logger that writes every record, at every level, to b as
// text.
func (b *Buffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// JSONLogger returns a logger that writes every record, at every level, to b
// as one JSON object a line; [Buffer.Records] reads them back.
func (b *Buffer) JSONLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Records decodes the JSON lines written so far.
func (b *Buffer) Records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("testkit: a log line is not JSON: %v", err)
		}
		out = append(out, rec)
	}
	return out
}

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

// Len returns how many errors were recorded.
func (e *Errors) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.errs)
}

// Count returns how many recorded errors match target with errors.Is.
func (e *Errors) Count(target error) int {
	n := 0
	for _, err := range e.All() {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}
