package jwks

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/execauth/execauth/observe"
)

// Defaults and names of a key directory.
const (
	// DefaultReload is [DirConfig.Reload] when unset.
	DefaultReload = 10 * time.Second
	// ManifestName is the manifest's file name in a key directory.
	ManifestName = "keys.json"
)

// KeyState is the role of a key in a key directory.
type KeyState string

// The states of a key in a key directory, in the order of its life.
const (
	// StatePublished: the key verifies and is published, but does not sign.
	StatePublished KeyState = "published"
	// StateActive: the key signs (and verifies). A directory has exactly one.
	StateActive KeyState = "active"
	// StateRetiring: the key was replaced; it verifies until its RetiresAt.
	StateRetiring KeyState = "retiring"
	// StateRetired: a retiring key past its RetiresAt. It verifies nothing
	// and waits for [Dir.Remove]. Only [Dir.Keys] reports it; a manifest
	// still says "retiring".
	StateRetired KeyState = "retired"
)

// DirKey describes one key of a key directory, as [Dir.Keys] lists it.
type DirKey struct {
	ID        string
	Algorithm Algorithm
	State     KeyState
	// Since is when the key entered State (for a retired key: when it
	// started retiring).
	Since time.Time
	// RetiresAt is when a retiring key stops verifying; zero for the others.
	RetiresAt time.Time
	// File is the key file's name in the directory.
	File string
}

// DirConfig configures a [Dir].
type DirConfig struct {
	// Path is the key directory. Required.
	Path string
	// Reload is how often the directory is read again to follow changes
	// that other processes make. If zero, 10s (DefaultReload) is used; if
	// negative, it is never polled, and read again only by [Dir.Reload] and
	// by writes through this Dir.
	Reload time.Duration
	// RetireAfter is how long a key replaced by [Dir.Activate] keeps
	// verifying: its retire time is the activation plus RetireAfter. It must
	// cover the longest lifetime of the tokens the key signed, plus the
	// verifiers' largest leeway, plus the Reload interval of the replicas
	// (which may sign with the replaced key until they see the activation).
	// If zero, DefaultRetireAfter (24h5m) is used: enough for the default
	// 24h lifetimes, the default 10s leeway and Reload intervals up to
	// 4m50s. Negative is an error.
	RetireAfter time.Duration
	// Logger receives every read of the directory that failed once a state
	// was loaded, at warning level with the error under "err" (the last good
	// keys stay in use; a failure that repeats is logged once), and every
	// change of keys applied, at info level. OpenDir returns a failure of
	// the first read instead. If nil, slog.Default() is used.
	Logger *slog.Logger
	// Now returns the current time: when retiring keys stop verifying, and
	// the times that writes record. If nil, time.Now is used.
	Now func() time.Time
	// Hooks receives every read of the directory (observe.Hooks.OnKeyReload):
	// a new state applied, with the keys it added and removed; the same
	// state again; or a state refused, and why. A read cut short by its ctx
	// is not reported. If nil, nothing is reported.
	Hooks *observe.Hooks
}

// Dir is a keyring kept in a directory that every replica of an issuer
// mounts (a Kubernetes Secret, a shared volume): key files plus a manifest
// that says which key is active, which are published only and which are
// retiring and until when. The package documentation describes the format.
//
// Each replica opens the directory with [OpenDir] and reads it again every
// Reload interval. A state is applied only once the manifest and every key
// file it names have been read and checked: a missing or malformed
// manifest, a key file that is missing, truncated, of another algorithm or
// readable by others, keeps the last good state, and the reason is logged
// and returned by [Dir.Err]. Key files that the manifest does not name are
// ignored, so a key written ahead of the manifest (the order of every write
// here) is never half seen.
//
// A Dir serves the same purposes as a [Keyring], which it keeps in step
// with the directory: it is the Keys of a token issuer (the active key
// signs; [Dir.Holds] tells the keys whose tokens may be reissued), of a
// verifier of the issuer's own tokens ([Lookup]), and of [Handler]
// ([PublicKeys]). Its Generation changes whenever the keys that verify do.
//
// The life cycle of a key, with what each step guarantees:
//
//   - [Dir.Publish]: the key verifies on every replica within one Reload
//     interval and is published, but does not sign. Before activating it,
//     wait until every verifier has it: one Reload interval for the
//     replicas, plus the refresh interval of every remote verifier of the
//     JWK Set (and the max-age of any HTTP cache in between).
//   - [Dir.Activate]: the key signs, on every replica within one Reload
//     interval; the key it replaces retires.
//   - Retiring: the replaced key verifies until RetiresAt = activation +
//     RetireAfter, so that every token it signed expires first; then every
//     replica drops it by the clock alone, in the same instant, without
//     waiting for a reload.
//   - [Dir.Remove]: the key is gone. Removing a retiring key before its
//     RetiresAt is the emergency exit for a key that leaked: it stops
//     verifying at once on the replica that removes it and within one
//     Reload interval on every other; tokens it signed are refused from
//     then on. The active key cannot be removed: activate another first.
//
// Writes (Publish, Activate, Remove and [InitDir]) replace files atomically
// (temporary file, fsync, rename; mode 0600) and are applied at once by the
// Dir that made them. Each reads the manifest from disk first and holds an
// exclusive flock on the directory's .keys.lock file until it has written,
// so writers in several processes take turns instead of losing one
// another's changes; ctx bounds the wait. (Where the system has no flock,
// or a shared volume does not honour it, run one writer at a time.)
//
// A Dir is safe for concurrent use. Signing and verifying read an
// immutable snapshot without locking; loads and writes serialize on a
// mutex. [Dir.Close] stops the polling.
type Dir struct {
	path        string
	reload      time.Duration
	retireAfter time.Duration
	log         *slog.Logger
	now         func() time.Time
	hooks       *observe.Hooks
	ring        *Keyring

	stop context.CancelFunc // ends the polling; nil if it never ran
	wg   sync.WaitGroup     // the polling

	err     atomic.Pointer[error]    // why the last load failed; nil after a success
	listing atomic.Pointer[[]DirKey] // the keys of the state applied

	mu       sync.Mutex // serializes loads and writes; guards the fields below
	parsed   map[string]parsedKey
	applied  [32]byte // digest of the manifest and key files applied
	reported string   // the last failure logged, so that a repeat is not
}

var (
	_ SigningKeys = (*Dir)(nil)
	_ Lookup      = (*Dir)(nil)
	_ PublicKeys  = (*Dir)(nil)
	_ Lister      = (*Dir)(nil)
)

// OpenDir validates cfg, reads the key directory and starts polling it
// every cfg.Reload. A directory that cannot be read, or holds no valid
// state, is an error. ctx bounds only this first read; the polling runs
// until [Dir.Close].
func OpenDir(ctx context.Context, cfg DirConfig) (*Dir, error) {
	d, err := newDir(cfg)
	if err != nil {
		return nil, err
	}
	if err := d.Reload(ctx); err != nil {
		return nil, err
	}
	if d.reload > 0 {
		var life context.Context
		life, d.stop = context.WithCancel(context.WithoutCancel(ctx))
		d.wg.Go(func() { d.poll(life) })
	}
	return d, nil
}

// newDir checks cfg and fills in the defaults.
func newDir(cfg DirConfig) (*Dir, error) {
	switch {
	case cfg.Path == "":
		return nil, fmt.Errorf("%w: DirConfig without Path", ErrConfig)
	case cfg.RetireAfter < 0:
		return nil, fmt.Errorf("%w: negative RetireAfter", ErrConfig)
	}
	d := &Dir{
		path: cfg.Path, reload: cmp.Or(cfg.Reload, DefaultReload), retireAfter: cmp.Or(cfg.RetireAfter, DefaultRetireAfter),
		log: cmp.Or(cfg.Logger, slog.Default()), now: clock(cfg.Now), hooks: cfg.Hooks, parsed: map[string]parsedKey{},
	}
	d.ring = &Keyring{retireAfter: d.retireAfter, now: d.now}
	return d, nil
}

// poll reads the directory every reload interval until life ends.
func (d *Dir) poll(life context.Context) {
	t := time.NewTicker(d.reload)
	defer t.Stop()
	for {
		select {
		case <-life.Done():
			return
		case <-t.C:
			_ = d.Reload(life) // reported through the Logger and Err
		}
	}
}

// Close stops the polling and waits for a read under way. The Dir keeps
// serving the keys it holds; Reload and writes still work.
func (d *Dir) Close() {
	if d.stop != nil {
		d.stop()
	}
	d.wg.Wait()
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// Active returns the key that signs now.
func (d *Dir) Active() *SigningKey { return d.ring.Active() }

// Holds reports whether kid names a key that still verifies: active,
// published or retiring before its RetiresAt.
func (d *Dir) Holds(kid string) bool { return d.ring.Holds(kid) }

// LookupKey returns the key that verifies a token of the directory's own,
// by the kid rules of [Lookup].
func (d *Dir) LookupKey(ctx context.Context, kid string, alg Algorithm) (Key, error) {
	return d.ring.LookupKey(ctx, kid, alg)
}

// PublicKeys returns the keys to publish: active, published and retiring,
// without HMAC secrets.
func (d *Dir) PublicKeys() []Key { return d.ring.PublicKeys() }

// Generation changes whenever the keys that verify change: a load that
// changes them, a write, a retiring key passing its RetiresAt.
func (d *Dir) Generation() uint64 { return d.ring.Generation() }

func (d *Dir) held(kid string) (Key, bool) { return d.ring.held(kid) }

// ListKeys returns the keys that verify now, as [Keyring.ListKeys] does.
func (d *Dir) ListKeys() ([]Key, bool) { return d.ring.ListKeys() }

// RetireAfter returns how long a key replaced by [Dir.Activate] keeps
// verifying, defaults applied. token.NewIssuer checks it against the
// longest lifetime it mints. Activations made elsewhere (keys activate
// -retire-after) choose their own.
func (d *Dir) RetireAfter() time.Duration { return d.retireAfter }

// Err returns why the last read of the directory failed, or nil if it
// succeeded. While it is not nil, the Dir serves the last good state.
func (d *Dir) Err() error {
	if e := d.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Keys lists the keys of the state in use, in manifest order, with a
// retiring key past its RetiresAt reported as [StateRetired].
func (d *Dir) Keys() []DirKey {
	p := d.listing.Load()
	if p == nil {
		return nil
	}
	out := slices.Clone(*p)
	now := d.now()
	for i, k := range out {
		if k.State == StateRetiring && !now.Before(k.RetiresAt) {
			out[i].State = StateRetired
		}
	}
	return out
}

// Reload reads the directory now and applies what it holds if it is a
// valid state. It returns why not otherwise; the last good state then stays
// in use. ctx is checked between files.
func (d *Dir) Reload(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reloadLocked(ctx)
}

// reloadLocked is Reload with d.mu held. A read that fails while the
// manifest changed under it (a writer at work, a Kubernetes volume
// swapping versions) is tried once more.
func (d *Dir) reloadLocked(ctx context.Context) error {
	began := d.hooks.Time() // zero without hooks
	st, err := d.read(ctx)
	if err != nil && ctx.Err() == nil && d.manifestChanged(st) {
		st, err = d.read(ctx)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // a read cut short says nothing about the directory
	}
	if err != nil {
		d.err.Store(&err)
		if msg := err.Error(); msg != d.reported && d.listing.Load() != nil { // OpenDir returns a first failure
			d.reported = msg
			d.log.LogAttrs(ctx, slog.LevelWarn, "jwks: key directory not loaded; the last good keys stay in use",
				slog.String("dir", d.path), slog.Any("err", err))
		}
		d.reportReload(ctx, began, observe.Refused, err, nil)
		return err
	}
	d.err.Store(nil)
	d.reported = ""
	prev := d.parsed
	d.parsed = st.parsed
	if st.sum == d.applied && d.listing.Load() != nil {
		d.reportReload(ctx, began, observe.Unchanged, nil, nil)
		return nil
	}
	d.ring.replace(st.active, st.pending, st.retiring)
	d.applied = st.sum
	d.listing.Store(&st.listing)
	d.log.LogAttrs(ctx, slog.LevelInfo, "jwks: key directory loaded", slog.String("dir", d.path),
		slog.String("active", st.active.ID()), slog.Int("keys", len(st.listing)), slog.Uint64("generation", d.ring.Generation()))
	d.reportReload(ctx, began, observe.Applied, nil, prev)
	return nil
}
