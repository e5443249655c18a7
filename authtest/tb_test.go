package authtest_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// standIn is a testing.TB for code that has no *testing.T: the runnable
// example, and tests that check a helper fails its test. It implements what
// package authtest calls; other methods panic on the nil embedded TB.
type standIn struct {
	testing.TB
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	cleanups []func()
	fatal    string // the message of Fatal or Fatalf; "" while none
}

func (s *standIn) Helper()                      {}
func (s *standIn) Logf(string, ...any)          {}
func (s *standIn) Context() context.Context     { return s.ctx }
func (s *standIn) Fatal(args ...any)            { s.fail(fmt.Sprint(args...)) }
func (s *standIn) Fatalf(f string, args ...any) { s.fail(fmt.Sprintf(f, args...)) }

func (s *standIn) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// fail records msg and ends the goroutine, as testing's FailNow does.
func (s *standIn) fail(msg string) {
	s.mu.Lock()
	s.fatal = msg
	s.mu.Unlock()
	runtime.Goexit()
}

// runTest runs f as the testing package runs a test function: in its own
// goroutine, then cancels the context and runs the cleanups, last first. It
// returns the message f failed with, or "".
func runTest(f func(t testing.TB)) (fatal string) {
	s := &standIn{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(s)
	}()
	<-done
	s.cancel()
	s.mu.Lock()
	cleanups := s.cleanups
	s.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	return s.fatal
}
