// Package storetest checks that an implementation of revoke.Store keeps the
// contract of the interface.
//
// # Example
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) revoke.Store { return newEmptyStore(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/execauth/execauth/revoke"
)

// Run runs the contract tests as subtests of t. open returns a new, empty
// store each time, sharing nothing with the stores it returned before; its
// clock must be close to time.Now (the tests use times an hour or more
// ahead of it). Run uses only package testing.
func Run(t *testing.T, open func(t *testing.T) revoke.Store) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s revoke.Store)
	}{
		{"InvalidEntries", invalidEntries},
		{"EmptySince", emptySince},
		{"FullAndIncremental", fullAndIncremental},
		{"NeverRevokesLess", neverRevokesLess},
		{"UnknownCursor", unknownCursor},
		{"ConcurrentRevoke", concurrentRevoke},
		{"FirstExchange", firstExchange},
		{"FirstExchangeInvalid", firstExchangeInvalid},
		{"FirstExchangeConcurrent", firstExchangeConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

var base = time.Now().Truncate(time.Second)

func invalidEntries(t *testing.T, s revoke.Store) {
	until := base.Add(time.Hour)
	for i, e := range []revoke.Entry{
		{},
		{JTI: "a", Subject: "b", Cutoff: base, Until: until},
		{JTI: "a"},
		{JTI: "a", Cutoff: base, Until: until},
		{Subject: "b", Until: until},
		{Subject: "b", Cutoff: until, Until: base},
	} {
		if err := s.Revoke(context.Background(), e); !errors.Is(err, revoke.ErrInvalidEntry) {
			t.Errorf("entry %d: Revoke = %v, want ErrInvalidEntry", i, err)
		}
	}
	got, _ := since(t, s, "")
	if len(got) != 0 {
		t.Errorf("invalid entries were stored: %d", len(got))
	}
}

func emptySince(t *testing.T, s revoke.Store) {
	got, next := since(t, s, "")
	if len(got) != 0 {
		t.Errorf("empty store: Since returned %d entries", len(got))
	}
	if got, _ := since(t, s, next); len(got) != 0 {
		t.Errorf("empty store, its own cursor: Since returned %d entries", len(got))
	}
}

func fullAndIncremental(t *testing.T, s revoke.Store) {
	tok := revoke.Entry{JTI: "jti-1", Until: base.Add(time.Hour)}
	sub := revoke.Entry{Subject: "task-1", Cutoff: base.Add(1500 * time.Millisecond), Until: base.Add(2*time.Hour + 300*time.Millisecond)}
	revoke1(t, s, tok)
	_, cursor := since(t, s, "")
	revoke1(t, s, sub)

	all, _ := since(t, s, "")
	want(t, "full load", all, tok, sub)
	got, cursor := since(t, s, cursor)
	want(t, "after the first write", got, sub)
	got, cursor = since(t, s, cursor)
	want(t, "nothing new", got)

	tok2 := revoke.Entry{JTI: "jti-2", Until: base.Add(time.Hour)}
	revoke1(t, s, tok2)
	got, _ = since(t, s, cursor)
	want(t, "one more write", got, tok2)
}

func neverRevokesLess(t *testing.T, s revoke.Store) {
	sub := revoke.Entry{Subject: "task-1", Cutoff: base.Add(time.Minute), Until: base.Add(2 * time.Hour)}
	revoke1(t, s, sub)
	_, cursor := since(t, s, "")
	revoke1(t, s, revoke.Entry{Subject: "task-1", Cutoff: base, Until: base.Add(time.Hour)})
	revoke1(t, s, sub) // again: idempotent
	all, _ := since(t, s, "")
	want(t, "an earlier cutoff and until", all, sub)

	later := revoke.Entry{Subject: "task-1", Cutoff: base.Add(2 * time.Minute), Until: base.Add(time.Hour)}
	revoke1(t, s, later)
	merged := revoke.Entry{Subject: "task-1", Cutoff: later.Cutoff, Until: sub.Until}
	got, _ := since(t, s, cursor)
	want(t, "a later cutoff comes again, merged", got, merged)

	tok := revoke.Entry{JTI: "jti-1", Until: base.Add(time.Hour)}
	revoke1(t, s, tok)
	revoke1(t, s, revoke.Entry{JTI: "jti-1", Until: base.Add(30 * time.Minute)})
	all, _ = since(t, s, "")
	want(t, "an earlier until", all, merged, tok)
}

func unknownCursor(t *testing.T, s revoke.Store) {
	tok := revoke.Entry{JTI: "jti-1", Until: base.Add(time.Hour)}
	revoke1(t, s, tok)
	_, cursor := since(t, s, "")
	for _, c := range []string{"garbage", "x:1", cursor + "0", "\x00"} {
		if c == cursor {
			continue
		}
		got, _ := since(t, s, c)
		want(t, fmt.Sprintf("cursor %q", c), got, tok)
	}
}

func concurrentRevoke(t *testing.T, s revoke.Store) {
	const n = 64
	var wg sync.WaitGroup
	entries := make([]revoke.Entry, n)
	for i := range entries {
		entries[i] = revoke.Entry{JTI: fmt.Sprintf("jti-%02d", i), Until: base.Add(time.Hour)}
		wg.Go(func() {
			if err := s.Revoke(context.Background(), entries[i]); err != nil {
				t.Errorf("Revoke: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := since(t, s, "")
	want(t, "after concurrent writes", got, entries...)
}

func firstExchange(t *testing.T, s revoke.Store) {
	ctx := context.Background()
	at := base.Add(1700 * time.Millisecond)
	until := base.Add(time.Hour)
	first, err := s.FirstExchange(ctx, "task-1", at, until)
	if err != nil || !first.Equal(base.Add(time.Second)) {
		t.Fatalf("first exchange = %v, %v; want %v (rounded down)", first, err, base.Add(time.Second))
	}
	again, err := s.FirstExchange(ctx, "task-1", at.Add(time.Minute), until.Add(time.Hour))
	if err != nil || !again.Equal(first) {
		t.Errorf("retried exchange = %v, %v; want the first, %v", again, err, first)
	}
	other, err := s.FirstExchange(ctx, "task-2", at.Add(time.Minute), until)
	if err != nil || !other.Equal(base.Add(61*time.Second)) {
		t.Errorf("another subject = %v, %v; want its own time", other, err)
	}
}

func firstExchangeInvalid(t *testing.T, s revoke.Store) {
	for i, tc := range []struct {
		sub       string
		at, until time.Time
	}{
		{"", base, base.Add(time.Hour)},
		{"task-1", time.Time{}, base.Add(time.Hour)},
		{"task-1", base, base},
		{"task-1", base, base.Add(-time.Hour)},
	} {
		if _, err := s.FirstExchange(context.Background(), tc.sub, tc.at, tc.until); !errors.Is(err, revoke.ErrInvalidEntry) {
			t.Errorf("case %d: FirstExchange = %v, want ErrInvalidEntry", i, err)
		}
	}
}

func firstExchangeConcurrent(t *testing.T, s revoke.Store) {
	const n = 16
	got := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			var err error
			got[i], err = s.FirstExchange(context.Background(), "task-1", base.Add(time.Duration(i)*time.Second), base.Add(time.Hour))
			if err != nil {
				t.Errorf("FirstExchange: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range got {
		if !got[i].Equal(got[0]) {
			t.Fatalf("concurrent exchanges disagree: %v and %v", got[0], got[i])
		}
	}
	if d := got[0].Sub(base); d < 0 || d >= n*time.Second || d%time.Second != 0 {
		t.Errorf("recorded time %v is none of the callers'", got[0])
	}
}

func revoke1(t *testing.T, s revoke.Store, e revoke.Entry) {
	t.Helper()
	if err := s.Revoke(context.Background(), e); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}

func since(t *testing.T, s revoke.Store, cursor string) ([]revoke.Entry, string) {
	t.Helper()
	got, next, err := s.Since(context.Background(), cursor)
	if err != nil {
		t.Fatalf("Since: %v", err)
	}
	return got, next
}

// want checks that got holds exactly the entries of w, each once, comparing
// times in the whole seconds a store may keep (Cutoff rounded down, Until up).
func want(t *testing.T, what string, got []revoke.Entry, w ...revoke.Entry) {
	t.Helper()
	type key struct {
		jti, sub      string
		cutoff, until int64
	}
	norm := func(e revoke.Entry) key {
		k := key{jti: e.JTI, sub: e.Subject, until: revoke.UntilUnix(e.Until)}
		if !e.Cutoff.IsZero() {
			k.cutoff = revoke.CutoffUnix(e.Cutoff)
		}
		return k
	}
	left := make(map[key]int, len(w))
	for _, e := range w {
		left[norm(e)]++
	}
	for _, e := range got {
		k := norm(e)
		if left[k] == 0 {
			t.Errorf("%s: unexpected entry %+v", what, k)
			continue
		}
		left[k]--
	}
	for k, n := range left {
		if n > 0 {
			t.Errorf("%s: missing entry %+v", what, k)
		}
	}
}
