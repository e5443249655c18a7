package jwks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/execauth/execauth/observe"
)

// Defaults for [CacheConfig].
const (
	DefaultRefreshInterval = 5 * time.Minute
	DefaultCooldown        = 30 * time.Second
	DefaultTimeout         = 5 * time.Second
	DefaultMaxBodySize     = 1 << 20
	DefaultMaxStale        = time.Hour
)

// CacheConfig configures a [Cache]. At least one of URLs and Keys is
// required; every other zero value is a safe default.
type CacheConfig struct {
	// URLs are the JWK Set endpoints to fetch; their keys are merged. The
	// same key (kid, alg and public key) found in more than one place (the
	// replicas of one issuer, each serving its set, or a URL and Keys) is one
	// key. A kid found with different keys is ambiguous: every key with it is
	// dropped and reported, so tokens with that kid fail. If empty, only Keys
	// are used.
	URLs []string
	// Keys are local verification keys, for example read with [ParseSet] from
	// a file; they never go stale. If empty, only URLs are used.
	Keys []Key
	// RefreshInterval is how often the URLs are fetched. If zero, 5m is used.
	RefreshInterval time.Duration
	// Cooldown is the least time between two fetches caused by an unknown
	// kid; during it, an unknown kid fails at once. If zero, 30s is used.
	Cooldown time.Duration
	// Timeout bounds each request, body included. If zero, 5s is used.
	Timeout time.Duration
	// MaxBodySize is the largest JWK Set accepted, in bytes; a larger one is
	// an error, never truncated. If zero, 1 MiB is used.
	MaxBodySize int64
	// MaxStale is how long the keys of a URL keep verifying after its last
	// successful fetch while fetches fail. Past it, and before a URL was ever
	// fetched, lookups that need that URL fail with [ErrKeysUnavailable]. If
	// zero, 1h or three refresh intervals is used, whichever is longer. It
	// must exceed RefreshInterval.
	MaxStale time.Duration
	// Client sends the requests. If nil, a client with Timeout is used. In
	// every case redirects are followed at most 3 times and only to the same
	// scheme and host.
	Client *http.Client
	// StartWithoutKeys lets [NewCache] succeed when the first fetch fails; lookups
	// then fail with [ErrKeysUnavailable] until a fetch succeeds. If false, a
	// failed first fetch fails NewCache.
	StartWithoutKeys bool
	// Logger receives every failed fetch and every key left out of a set, at
	// warning level, with the error under "err". If nil, slog.Default() is
	// used.
	Logger *slog.Logger
	// Now returns the current time, for MaxStale and Cooldown. If nil,
	// time.Now is used.
	Now func() time.Time
	// Hooks receives an observe.Fetch for every fetch of every URL, an
	// observe.Stale when a URL's keys pass MaxStale, and an observe.KeyMiss
	// for every decision of the unknown-kid refresh limiter. If nil, nothing
	// is reported.
	Hooks *observe.Hooks
}

// Cache holds the verification keys of remote JWK Sets, refreshed in the
// background, plus optional local keys. It implements [Lookup] for
// token.Verifier and offers [Cache.Keyfunc] for golang-jwt. It is safe for
// concurrent use; a lookup of a known kid takes no lock and does not
// allocate.
//
// It fetches every URL at start and then every RefreshInterval. When a fetch
// fails, the last good keys of that URL keep verifying up to MaxStale. A key
// it cannot use (see [ParseSet]) is skipped and reported; the rest of the set
// is kept. Each response body is capped at MaxBodySize, each request bounded
// by Timeout, and redirects are followed only within the same scheme and
// host. A token with an unknown kid starts at most one fetch per Cooldown
// across all goroutines; lookups that miss while a fetch is under way wait
// for that fetch (or their own ctx), and no lookup ever waits for the
// cooldown. A token without kid never starts a fetch.
type Cache struct {
	urls     []string
	names    []string // the URLs without credentials or query, for messages and reports
	local    []Key
	client   *http.Client
	interval time.Duration
	cooldown time.Duration
	timeout  time.Duration
	maxBody  int64
	maxStale time.Duration
	log      *slog.Logger
	now      func() time.Time
	hooks    *observe.Hooks

	life context.Context // bounds the refresh loop and every shared fetch
	stop context.CancelFunc
	wg   sync.WaitGroup // the refresh loop and running fetches

	view      atomic.Pointer[view]  // read lock-free by every lookup
	inflight  atomic.Pointer[fetch] // the fetch under way, if any
	coolUntil atomic.Int64          // no miss starts a fetch before this (UnixNano, by c.now)

	mu      sync.Mutex // guards sources; serializes writers of view and inflight, and Close
	sources []source   // one per URL, in order
}

var (
	_ Lookup     = (*Cache)(nil)
	_ PublicKeys = (*Cache)(nil)
)

// NewCache validates cfg, fetches every URL once and starts the background
// refresh. ctx bounds only that first fetch (each request is also bounded by
// cfg.Timeout); the refresh runs until [Cache.Close], after which the cache
// keeps serving what it holds until MaxStale.
func NewCache(ctx context.Context, cfg CacheConfig) (*Cache, error) {
	c, err := newCache(cfg)
	if err != nil {
		return nil, err
	}
	c.life, c.stop = context.WithCancel(context.WithoutCancel(ctx))
	now := c.now()
	c.publish(now)
	if len(c.urls) == 0 {
		return c, nil
	}
	c.coolUntil.Store(now.Add(c.cooldown).UnixNano())
	if err := c.fetchAll(ctx); err != nil && !cfg.StartWithoutKeys {
		c.stop()
		return nil, err
	}
	c.wg.Go(c.loop)
	return c, nil
}

// newCache checks cfg and fills in the defaults.
func newCache(cfg CacheConfig) (*Cache, error) {
	switch {
	case len(cfg.URLs) == 0 && len(cfg.Keys) == 0:
		return nil, fmt.Errorf("%w: needs URLs or Keys", ErrConfig)
	case cfg.RefreshInterval < 0, cfg.Cooldown < 0, cfg.Timeout < 0, cfg.MaxStale < 0, cfg.MaxBodySize < 0:
		return nil, fmt.Errorf("%w: negative duration or size", ErrConfig)
	}
	c := &Cache{
		urls: slices.Clone(cfg.URLs), names: make([]string, len(cfg.URLs)), sources: make([]source, len(cfg.URLs)),
		local: slices.Clone(cfg.Keys), client: cfg.Client,
		interval: cmp.Or(cfg.RefreshInterval, DefaultRefreshInterval), cooldown: cmp.Or(cfg.Cooldown, DefaultCooldown),
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout), maxBody: cmp.Or(cfg.MaxBodySize, DefaultMaxBodySize),
		maxStale: cfg.MaxStale, log: cmp.Or(cfg.Logger, slog.Default()), now: clock(cfg.Now), hooks: cfg.Hooks,
	}
	for i, u := range c.urls {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("%w: JWK Set URL %d is not an http(s) URL", ErrConfig, i)
		}
		c.names[i] = p.Scheme + "://" + p.Host + p.Path
	}
	if err := checkLocal(c.local, len(c.urls)); err != nil {
		return nil, err
	}
	c.maxStale = cmp.Or(c.maxStale, max(DefaultMaxStale, 3*c.interval))
	if c.maxStale <= c.interval {
		return nil, fmt.Errorf("%w: MaxStale must exceed RefreshInterval", ErrConfig)
	}
	c.client = withRedirectPolicy(c.client, c.timeout)
	return c, nil
}

// checkLocal applies the kid rules to local keys: each set up, no kid twice,
// and a key without kid only when it is the only key there can be.
func checkLocal(keys []Key, urls int) error {
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		switch {
		case k.alg == "":
			return fmt.Errorf("%w: zero Key (CacheConfig.Keys[%d])", ErrUnsupportedKey, i)
		case k.id == "" && (len(keys) > 1 || urls > 0):
			return fmt.Errorf("%w: a key without kid must be the only key (CacheConfig.Keys[%d])", ErrInvalidKID, i)
		case seen[k.id]:
			return fmt.Errorf("%w: duplicate kid (CacheConfig.Keys[%d])", ErrInvalidKID, i)
		}
		seen[k.id] = true
	}
	return nil
}

// LookupKey returns the key for kid bound to alg, with the rules of
// [Lookup]. An unknown kid may wait for a fetch, as [Cache] describes; if
// ctx ends first, the error matches [ErrKeysUnavailable]. Errors never
// contain the kid or alg asked for.
func (c *Cache) LookupKey(ctx context.Context, kid string, alg Algorithm) (Key, error) {
	k, err := c.current().lookup(kid, alg)
	if err == nil || kid == "" || errors.Is(err, ErrAlgorithmMismatch) || !ValidKID(kid) {
		return k, err
	}
	fetched, werr := c.awaitMiss(ctx)
	if werr != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, werr)
	}
	if !fetched {
		return Key{}, err
	}
	return c.current().lookup(kid, alg)
}

// Keyfunc returns a jwt.Keyfunc for golang-jwt with the rules of
// [Cache.LookupKey]: the key of the token's kid, which must be bound to the
// token's alg (an HS256 token naming an RSA key's kid is refused), or the
// only key bound to that alg for a token without kid. ctx bounds a wait for
// a fetch. jku, x5u, jwk and x5c headers are never read.
func (c *Cache) Keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg, _ := t.Header["alg"].(string)
		var kid string
		if v, ok := t.Header["kid"]; ok {
			s, ok := v.(string)
			if !ok || !ValidKID(s) {
				return nil, fmt.Errorf("%w: token kid", ErrInvalidKID)
			}
			kid = s
		}
		k, err := c.LookupKey(ctx, kid, Algorithm(alg))
		if err != nil {
			return nil, err
		}
		return k.Material(), nil
	}
}

// PublicKeys returns the usable asymmetric keys (never an HMAC secret from
// CacheConfig.Keys), local keys first.
func (c *Cache) PublicKeys() []Key { return publicKeys(c.current().keys) }

// Generation returns a number that changes whenever the set of usable keys
// does: a fetch that adds, removes or changes a key, or a URL passing
// MaxStale.
func (c *Cache) Generation() uint64 { return c.current().gen }

// Ready reports whether every URL has been fetched within MaxStale, for a
// health probe. Otherwise it returns an error matching [ErrKeysUnavailable].
func (c *Cache) Ready() error {
	if v := c.current(); v.missing > 0 {
		return fmt.Errorf("%w: %d of %d JWK Set URLs never fetched or older than MaxStale", ErrKeysUnavailable, v.missing, len(c.urls))
	}
	return nil
}

// Close stops the background refresh and waits for running fetches to end.
// Lookups keep using the keys held, until MaxStale; no fetch starts again.
func (c *Cache) Close() {
	c.mu.Lock()
	c.stop() // under mu: no fetch starts after it
	c.mu.Unlock()
	c.wg.Wait()
}
