package benchmarks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/token"
)

// The revocation rows: a replica of a fleet checks every token against its
// revoke.List, fed by the Redis store, and is measured beside the same
// verifier with no store; a revocation written through one replica is timed
// until another refuses it; and a list is measured as it grows.

// Live revocations in the store while the hot path is measured: a fleet
// that has revoked a thousand tokens and a hundred tasks in the last hours.
const (
	liveJTIs     = 1000
	liveSubjects = 100
)

// quietLog discards records: the rejections of the propagation row are the
// point of it.
var quietLog = slog.New(slog.DiscardHandler)

// revocationVerifier is execauthVerifier's configuration with rev as its
// revocation check (nil: none), so that the rows with and without a store
// differ in that field only.
func revocationVerifier(f *fixture, cache int, rev token.Revocations) (*token.Verifier, error) {
	st, err := jwks.NewStatic(f.signer.Public())
	if err != nil {
		return nil, err
	}
	return token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: issuer, Audience: []string{audience},
		Algorithms: []jwks.Algorithm{jwks.Algorithm(f.alg)}, Leeway: leeway,
		MaxLifetime: token.Lifetimes{Execution: lifetime},
		CacheSize:   cache, Revocations: rev,
	})
}

// revocationMiddleware is Authenticate with its defaults on v, its records
// of rejections discarded.
func revocationMiddleware(v *token.Verifier) http.Handler {
	return middleware.Authenticate(middleware.Config{Verifier: v, Logger: quietLog})(admitted)
}

// statusOf returns a func that sends raw through h as a bearer token, as
// viaHTTP does (one request built once, one writer reset per call), and
// returns the status.
func statusOf(h http.Handler, raw string) func() int {
	req := httptest.NewRequest(http.MethodPut, heartbeat, nil)
	req.Header.Set("Authorization", "Bearer "+raw)
	req.Header.Set("Accept", "application/json")
	w := &statusWriter{header: make(http.Header)}
	return func() int {
		w.reset()
		h.ServeHTTP(w, req)
		return w.code
	}
}

// replica is one API server of a fleet: its own Redis client, its view of
// the shared revocations, and a middleware that checks tokens against it.
type replica struct {
	client *redis.Client
	store  *redisstore.Store
	list   *revoke.List
	h      http.Handler
	// warnings counts the list's records at Warn and above: failed syncs
	// with the store, and a view gone stale.
	warnings atomic.Int64
}

// counter is a slog.Handler that counts the records at Warn and above and
// discards every record.
type counter struct{ n *atomic.Int64 }

func (c counter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (c counter) Handle(context.Context, slog.Record) error {
	c.n.Add(1)
	return nil
}

func (c counter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c counter) WithGroup(string) slog.Handler      { return c }

// newReplica connects to the Redis server at addr, loads the revocations
// under prefix into a list with the default poll interval, and builds an
// Authenticate middleware on f's key that checks them. cache is the
// verified-token cache size (0: none).
func newReplica(ctx context.Context, addr, prefix string, f *fixture, cache int) (*replica, error) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	store, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	r := &replica{client: c, store: store}
	r.list, err = revoke.NewList(ctx, revoke.Config{Store: store, Logger: slog.New(counter{&r.warnings})})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	v, err := revocationVerifier(f, cache, r.list)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.h = revocationMiddleware(v)
	return r, nil
}

// Close stops the replica's sync and closes its client.
func (r *replica) Close() {
	r.list.Close()
	_ = r.client.Close()
}

// benchPrefix returns a key prefix of its own for one run, so that runs can
// share a Redis server.
func benchPrefix() string { return "{execauth-bench-" + rand.Text()[:12] + "}:" }

// fillStore writes jtis token revocations and subjects subject revocations,
// none of them of f's token, live for an hour.
func fillStore(ctx context.Context, s revoke.Store, jtis, subjects int) error {
	now := time.Now()
	until := now.Add(time.Hour)
	for i := range jtis {
		if err := s.Revoke(ctx, revoke.Entry{JTI: fmt.Sprintf("%032x", i), Until: until}); err != nil {
			return err
		}
	}
	for range subjects {
		e := revoke.Entry{Subject: uuid.NewString(), Cutoff: now, Until: until}
		if err := s.Revoke(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// deleteKeys deletes every key under prefix.
func deleteKeys(ctx context.Context, c *redis.Client, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := c.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// loadedStore is a revoke.Store that holds n revoked jtis (32 hex digits,
// as token.Issuer mints them) and hands them all out on a first Since, as
// redisstore does on a list's first sync: each jti is a substring of its
// own freshly allocated hash field "jti:<jti>" (go-redis allocates each
// reply string with two more bytes, in the same 48-byte size class). It
// keeps nothing itself, so the heap a list holds after loading from it is
// all the list's view. It is for one list only.
type loadedStore struct {
	n     int
	until time.Time
}

var (
	errReadOnly = errors.New("benchmarks: the loaded store is read only")
	errRevoked  = errors.New("benchmarks: a token that is not revoked was found revoked")
)

func (s *loadedStore) Revoke(context.Context, revoke.Entry) error { return errReadOnly }

func (s *loadedStore) Since(_ context.Context, cursor string) ([]revoke.Entry, string, error) {
	if cursor != "" {
		return nil, cursor, nil
	}
	entries := make([]revoke.Entry, s.n)
	for i := range entries {
		field := fmt.Sprintf("jti:%032x", i)
		entries[i] = revoke.Entry{JTI: field[len("jti:"):], Until: s.until}
	}
	return entries, "loaded", nil
}

func (s *loadedStore) FirstExchange(context.Context, string, time.Time, time.Time) (time.Time, error) {
	return time.Time{}, errReadOnly
}
