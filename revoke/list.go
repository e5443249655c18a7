package revoke

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/execauth/execauth/observe"
)

// Defaults for [Config].
const (
	DefaultPollInterval = 250 * time.Millisecond
	DefaultMaxStale     = 10 * time.Second
	DefaultTimeout      = 2 * time.Second
	DefaultMaxLifetime  = 24 * time.Hour
)

// Config configures a [List]. Store is required; every other zero value is
// a safe default.
type Config struct {
	// Store is where revocations are shared. Required.
	Store Store
	// PollInterval is how often the list asks the store for what changed.
	// A revocation written through another replica is refused here within
	// about one interval plus a store round trip. If zero, 250ms is used.
	PollInterval time.Duration
	// MaxStale bounds how old the list's view may be: past MaxStale since the
	// start of the last successful sync, Check fails with [ErrUnavailable]
	// (fail closed). If zero, 10s or four poll intervals is used, whichever
	// is longer. It must exceed PollInterval.
	MaxStale time.Duration
	// Timeout bounds each store call of a background sync. If zero, 2s is
	// used.
	Timeout time.Duration
	// MaxLifetime is the longest lifetime of any token the verifiers accept
	// (token.Lifetimes.Longest): a subject revocation is kept this long past
	// its cutoff, plus [ExpiryMargin]. If zero, 24h is used. A shorter value
	// than the verifiers' would let a revoked token of a long-lived class
	// verify again once its subject entry is forgotten.
	MaxLifetime time.Duration
	// InsecureFailOpenFor lets Check keep answering from the last view for
	// this long past MaxStale while the store is unreachable, instead of
	// failing closed. Revocations written elsewhere during that time are
	// missed. Revocations the list knows are always refused, and a list that
	// never synced always fails. If zero, Check fails closed past MaxStale.
	InsecureFailOpenFor time.Duration
	// StartUnsynced lets [NewList] succeed when the first sync fails; Check
	// then fails with [ErrUnavailable] until a sync succeeds. If false, a
	// failed first sync fails NewList.
	StartUnsynced bool
	// Logger receives sync failures, recoveries and changes of freshness,
	// never a jti or a subject. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Now returns the current time, for staleness and expiry. If nil,
	// time.Now is used.
	Now func() time.Time
	// Hooks receives the result of every sync with the store
	// (observe.Hooks.OnRevocationSync) and each change of the view's
	// freshness (OnRevocationState), never a jti or a subject. If nil,
	// nothing is reported.
	Hooks *observe.Hooks
}

// List is a replica's local view of the revocations in a [Store]: a
// snapshot in memory, read by [List.Check] without locks and without a
// store round trip, kept current by a background sync every PollInterval.
// It implements the revocation check of token.VerifierConfig. It is safe
// for concurrent use.
//
// The view only grows between purges: an entry is dropped once past its
// Until, never because the store lost it. A revocation written through the
// list is applied to the view at once, so this replica refuses the token
// before the write reaches the store. A known revocation is refused even
// when the view is stale.
type List struct {
	store       Store
	interval    time.Duration
	maxStale    time.Duration
	timeout     time.Duration
	maxLifetime time.Duration
	failOpen    time.Duration
	log         *slog.Logger
	now         func() time.Time
	hooks       *observe.Hooks

	idx    atomic.Pointer[index] // read lock-free by Check
	synced atomic.Int64          // UnixNano (by now) of the start of the last successful sync; 0 if none

	mu      sync.Mutex // serializes writers of idx
	purgeAt time.Time  // guarded by mu

	syncing chan struct{} // holds a token while a sync runs; the holder owns cursor and state
	cursor  string
	failing bool      // the last sync failed
	state   freshness // as last logged; a first successful sync is not logged

	life context.Context // canceled by Close; bounds background syncs
	stop context.CancelFunc
	done chan struct{}
}

// freshness is what the list last logged about its view.
type freshness int

const (
	fresh freshness = iota
	failingOpen
	failingClosed
)

// Errors returned by Check without allocating.
var (
	errNeverSynced = fmt.Errorf("%w: never synced with the store", ErrUnavailable)
	errStale       = fmt.Errorf("%w: not synced with the store within MaxStale", ErrUnavailable)
)

// listPurgeEvery is the least time between two purges of a list's view.
const listPurgeEvery = time.Minute

// NewList validates cfg, loads every live entry from the store (bounded by
// ctx and cfg.Timeout) and starts the background sync. ctx bounds only that
// first sync; [List.Close] stops the background one.
func NewList(ctx context.Context, cfg Config) (*List, error) {
	switch {
	case cfg.Store == nil:
		return nil, fmt.Errorf("%w: no Store", ErrConfig)
	case cfg.PollInterval < 0, cfg.MaxStale < 0, cfg.Timeout < 0, cfg.MaxLifetime < 0, cfg.InsecureFailOpenFor < 0:
		return nil, fmt.Errorf("%w: negative duration", ErrConfig)
	}
	l := &List{
		store: cfg.Store, interval: cfg.PollInterval, maxStale: cfg.MaxStale, timeout: cfg.Timeout,
		maxLifetime: cfg.MaxLifetime, failOpen: cfg.InsecureFailOpenFor, log: cfg.Logger, now: cfg.Now,
		hooks:   cfg.Hooks,
		syncing: make(chan struct{}, 1), done: make(chan struct{}),
	}
	setDefault(&l.interval, DefaultPollInterval)
	setDefault(&l.maxStale, max(DefaultMaxStale, 4*l.interval))
	setDefault(&l.timeout, DefaultTimeout)
	setDefault(&l.maxLifetime, DefaultMaxLifetime)
	if l.maxStale <= l.interval {
		return nil, fmt.Errorf("%w: MaxStale must exceed PollInterval", ErrConfig)
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.idx.Store(emptyIndex())
	l.purgeAt = l.now().Add(listPurgeEvery)
	l.life, l.stop = context.WithCancel(context.Background())
	if err := l.Sync(ctx); err != nil && !cfg.StartUnsynced {
		l.stop()
		return nil, err
	}
	go l.loop()
	return l, nil
}

func setDefault(v *time.Duration, def time.Duration) {
	if *v == 0 {
		*v = def
	}
}

// Check reports whether a token (jti, sub, iat) is revoked. A non-nil error
// means the answer cannot be trusted (never synced, or staler than
// MaxStale): callers fail closed. It matches [ErrUnavailable]. An empty jti
// or sub is not looked up. A subject entry revokes the token when iat, in
// whole seconds, is at or before the second of its cutoff. Check takes no
// lock and does not allocate.
func (l *List) Check(jti, sub string, issuedAt time.Time) (revoked bool, err error) {
	if l.idx.Load().revoked(jti, sub, issuedAt.Unix()) {
		return true, nil
	}
	return false, l.freshness(l.now())
}

// freshness returns nil while the view can be trusted at now, else the
// reason, without allocating.
func (l *List) freshness(now time.Time) error {
	synced := l.synced.Load()
	if synced == 0 {
		return errNeverSynced
	}
	if age := time.Duration(now.UnixNano() - synced); age > l.maxStale+l.failOpen {
		return errStale
	}
	return nil
}

// Ready reports whether Check can be trusted now, for a health probe: nil,
// or an error matching [ErrUnavailable].
func (l *List) Ready() error { return l.freshness(l.now()) }

// SyncedAt returns when the last successful sync started (zero if none), for
// monitoring: the view holds every revocation written before it.
func (l *List) SyncedAt() time.Time {
	if n := l.synced.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Len returns the number of entries in the view.
func (l *List) Len() int { return l.idx.Load().len() }

// RevokeToken revokes the token with jti, which expires at exp: this list
// refuses it at once, and every list on the store after its next sync. The
// entry is kept until exp plus [ExpiryMargin]. An error from the store
// matches [ErrUnavailable]: the token is refused here but maybe not by other
// replicas, so retry. An empty jti or a zero exp is an error matching
// [ErrInvalidEntry].
func (l *List) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	if exp.IsZero() {
		return fmt.Errorf("%w: zero exp", ErrInvalidEntry)
	}
	return l.revoke(ctx, Entry{JTI: jti, Until: exp.Add(ExpiryMargin)})
}

// RevokeSubject revokes every token of sub issued at or before cutoff (in
// whole seconds: a token minted later in the same second is revoked too),
// as [List.RevokeToken] does for one token. The entry is kept until cutoff
// plus MaxLifetime plus [ExpiryMargin].
func (l *List) RevokeSubject(ctx context.Context, sub string, cutoff time.Time) error {
	return l.revoke(ctx, Entry{Subject: sub, Cutoff: cutoff, Until: cutoff.Add(l.maxLifetime + ExpiryMargin)})
}

func (l *List) revoke(ctx context.Context, e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	l.apply([]Entry{e}, l.now())
	if err := l.store.Revoke(ctx, e); err != nil {
		return fmt.Errorf("%w: store write: %w", ErrUnavailable, err)
	}
	return nil
}

// apply adds entries to the view and, once per listPurgeEvery, drops the
// entries past their until.
func (l *List) apply(entries []Entry, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	x := l.idx.Load()
	next := x.with(entries, now.Unix())
	if !now.Before(l.purgeAt) {
		l.purgeAt = now.Add(listPurgeEvery)
		next = next.purged(now.Unix())
	}
	if next != x {
		l.idx.Store(next)
	}
}

// Close stops the background sync and waits for it to end. Check keeps
// answering from the view until it is staler than MaxStale.
func (l *List) Close() {
	l.stop()
	<-l.done
}
