package observe

import (
	"context"
	"time"
)

// RevocationSync is one sync of revoke.List with its store: the first one
// in revoke.NewList, one every PollInterval, and each call of List.Sync. A
// sync cut short because the list is closing is not reported.
type RevocationSync struct {
	// Start is when the sync began and Duration how long it took, store
	// round trip included.
	Start    time.Time
	Duration time.Duration
	// Err is why the sync failed (the view is kept, and fails closed once
	// past MaxStale); nil on success. It carries no jti or subject.
	Err error
	// Entries is how many entries the store returned: every live one on the
	// first sync, those written since the last sync after it. 0 on failure.
	Entries int
	// SyncedAt is when the last successful sync started, by the list's
	// clock (this one's start after a success); zero if none has.
	SyncedAt time.Time
}

// Freshness of a revoke.List's view, the values of [RevocationState].
const (
	// Fresh: synced within MaxStale; Check answers from the view.
	Fresh = "fresh"
	// FailingOpen: past MaxStale, but within InsecureFailOpenFor; Check
	// still admits tokens the view does not know as revoked.
	FailingOpen = "failing_open"
	// FailingClosed: past MaxStale (and any InsecureFailOpenFor), or never
	// synced; every Check that finds no revocation fails with 503.
	FailingClosed = "failing_closed"
)

// RevocationState reports that the freshness of revoke.List's view changed.
// The list tells at the end of each sync, so a change is reported within one
// PollInterval (plus the store Timeout) of happening. A list whose first
// sync succeeded starts Fresh without a report.
type RevocationState struct {
	// State is Fresh, FailingOpen or FailingClosed.
	State string
	// SyncedAt is when the last successful sync started, by the list's
	// clock; zero if none has. Age is the view's age when the change was
	// seen: the time since SyncedAt, or 0 if none.
	SyncedAt time.Time
	Age      time.Duration
}

// Outcomes of a [KeyReload]; a read that found the same state as before is
// [Unchanged].
const (
	// Applied: the directory holds a new valid state, now in use.
	Applied = "applied"
	// Refused: the directory holds no valid state; the last good one stays
	// in use. KeyReload.Reason says why.
	Refused = "refused"
)

// Reasons of a refused [KeyReload], with [Malformed]: the manifest or a key
// file cannot be decoded or breaks the format's rules (see package jwks).
const (
	// Missing: the manifest or the directory is missing.
	Missing = "missing"
	// MissingKeyFile: the manifest names a key file that is not there.
	MissingKeyFile = "missing_key_file"
	// FileMode: a file others may read, or the group may write.
	FileMode = "file_mode"
	// BadKey: a key file holds a key that is weak, of an unsupported type,
	// or does not fit the algorithm the manifest gives it.
	BadKey = "bad_key"
	// Unreadable: any other error reading the directory (permissions, I/O).
	Unreadable = "unreadable"
)

// KeyReload is one read of a jwks.Dir key directory: by OpenDir, every
// Reload interval, by Dir.Reload, and after each write through the Dir. A
// read cut short by its context says nothing of the directory and is not
// reported.
type KeyReload struct {
	// Path is the key directory as configured.
	Path string
	// Outcome is Applied, Unchanged or Refused.
	Outcome string
	// Reason says why a state was refused: Missing, MissingKeyFile,
	// FileMode, Malformed, BadKey or Unreadable; "" otherwise.
	Reason string
	// Start is when the read began and Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Keys is how many keys the state in use lists, after the read.
	Keys int
	// Added and Removed count the keys (kid, algorithm and key file) that
	// an applied state gained and lost against the one it replaced; on the
	// first read every key is added.
	Added, Removed int
	// Err is why the state was refused; nil otherwise. It may name a file
	// or a kid of the directory's own keys: for logs, not labels.
	Err error
}

// RevocationSync reports e to OnRevocationSync.
func (h *Hooks) RevocationSync(ctx context.Context, e RevocationSync) {
	if h == nil || h.OnRevocationSync == nil {
		return
	}
	defer h.contain("OnRevocationSync")
	h.OnRevocationSync(ctx, e)
}

// RevocationState reports e to OnRevocationState.
func (h *Hooks) RevocationState(ctx context.Context, e RevocationState) {
	if h == nil || h.OnRevocationState == nil {
		return
	}
	defer h.contain("OnRevocationState")
	h.OnRevocationState(ctx, e)
}

// KeyReload reports e to OnKeyReload.
func (h *Hooks) KeyReload(ctx context.Context, e KeyReload) {
	if h == nil || h.OnKeyReload == nil {
		return
	}
	defer h.contain("OnKeyReload")
	h.OnKeyReload(ctx, e)
}
