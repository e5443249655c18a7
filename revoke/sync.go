package revoke

import (
	"context"
	"fmt"
	"time"

	"github.com/execauth/execauth/observe"
)

// Sync asks the store for the entries written since the last sync and adds
// them to the view; the first sync loads every live entry. The background
// loop calls it every PollInterval; call it to catch up at once. One sync
// runs at a time: a call waits for the one under way (or its ctx). An error
// matches [ErrUnavailable]; the view is then unchanged.
func (l *List) Sync(ctx context.Context) error {
	select {
	case l.syncing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-l.syncing }()
	start, began := l.now(), l.hooks.Time() // began: zero without hooks
	entries, next, err := l.since(ctx)
	if err != nil {
		l.report(ctx, err, began, 0)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	l.apply(entries, start)
	l.cursor = next
	if n := start.UnixNano(); n > l.synced.Load() {
		l.synced.Store(n) // only a sync writes synced, and one runs at a time
	}
	l.report(ctx, nil, began, len(entries))
	return nil
}

// since asks the store for the entries after the cursor, within Timeout.
func (l *List) since(ctx context.Context) ([]Entry, string, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	return l.store.Since(ctx, l.cursor)
}

// loop syncs every interval until Close.
func (l *List) loop() {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.life.Done():
			return
		case <-t.C:
		}
		_ = l.Sync(l.life) // reported by Sync; Check tells callers through staleness
	}
}

// report logs the first failed sync after a success and the first success
// after failures, and each change of the view's freshness: from fresh to
// failing open or closed, and back; the hooks get every sync and every
// change. began is when the sync began by the hooks' clock, n the entries
// it brought. Call with the sync token held.
func (l *List) report(ctx context.Context, err error, began time.Time, n int) {
	if err != nil && l.life.Err() != nil {
		return // closing
	}
	if l.hooks != nil {
		l.hooks.RevocationSync(ctx, observe.RevocationSync{
			Start: began, Duration: l.hooks.Time().Sub(began), Err: err, Entries: n, SyncedAt: l.SyncedAt(),
		})
	}
	switch {
	case err != nil && !l.failing:
		l.log.Warn("revoke: sync with the store failed; retrying every poll interval", "err", err, "synced_at", l.SyncedAt())
	case err == nil && l.failing:
		l.log.Info("revoke: sync with the store succeeded again")
	}
	l.failing = err != nil
	now := l.now()
	state := fresh
	if l.freshness(now) != nil {
		state = failingClosed
	} else if now.Sub(l.SyncedAt()) > l.maxStale {
		state = failingOpen
	}
	if state == l.state {
		return
	}
	l.state = state
	l.reportState(ctx, state, now)
	switch state {
	case fresh:
		l.log.Info("revoke: revocations in sync with the store")
	case failingOpen:
		l.log.Error("revoke: revocations staler than MaxStale; InsecureFailOpenFor admits tokens without current revocations",
			"synced_at", l.SyncedAt(), "fail_open_for", l.failOpen)
	case failingClosed:
		l.log.Error("revoke: revocations unavailable; every check fails closed", "synced_at", l.SyncedAt())
	}
}

// reportState reports a change of freshness to the hooks.
func (l *List) reportState(ctx context.Context, state freshness, now time.Time) {
	if l.hooks == nil {
		return
	}
	e := observe.RevocationState{State: observe.Fresh, SyncedAt: l.SyncedAt()}
	switch state {
	case failingOpen:
		e.State = observe.FailingOpen
	case failingClosed:
		e.State = observe.FailingClosed
	}
	if !e.SyncedAt.IsZero() {
		e.Age = now.Sub(e.SyncedAt)
	}
	l.hooks.RevocationState(ctx, e)
}
