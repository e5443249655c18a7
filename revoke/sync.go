package revoke

import (
	"context"
	"fmt"
	"time"
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
	start := l.now()
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	entries, next, err := l.store.Since(ctx, l.cursor)
	if err != nil {
		l.report(err)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	l.apply(entries, start)
	l.cursor = next
	if n := start.UnixNano(); n > l.synced.Load() {
		l.synced.Store(n) // only a sync writes synced, and one runs at a time
	}
	l.report(nil)
	return nil
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
// failing open or closed, and back. Call with the sync token held.
func (l *List) report(err error) {
	if err != nil && l.life.Err() != nil {
		return // closing
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
