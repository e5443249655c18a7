package securitytest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/token"
)

// switchStore is a revoke.Store that fails while down is set.
type switchStore struct {
	revoke.Store
	down atomic.Bool
}

var errStoreDown = errors.New("store down")

func (s *switchStore) Revoke(ctx context.Context, e revoke.Entry) error {
	if s.down.Load() {
		return errStoreDown
	}
	return s.Store.Revoke(ctx, e)
}

func (s *switchStore) Since(ctx context.Context, cursor string) ([]revoke.Entry, string, error) {
	if s.down.Load() {
		return nil, "", errStoreDown
	}
	return s.Store.Since(ctx, cursor)
}

// revokeRig is a rig whose verifier checks a revoke.List on a store that a
// test can take down; the list fails closed 2 minutes after its last sync
// (the clock is a fake one: no background sync runs during a test).
func revokeRig(t *testing.T, cache bool) (*rig, *revoke.List, *switchStore) {
	t.Helper()
	clock := authtest.NewClock(t0)
	store := &switchStore{Store: revoke.NewMemory(clock.Now)}
	list, err := revoke.NewList(t.Context(), revoke.Config{
		Store: store, Now: clock.Now, PollInterval: time.Minute, MaxStale: 2 * time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(list.Close)
	r := newRig(t, rigOpts{clock: clock, verify: func(c *token.VerifierConfig) {
		c.Revocations = list
		if cache {
			c.CacheSize = 64
		}
	}})
	return r, list, store
}

// SECURITY.md "Fleet state": revocation keys on `jti` (one token) or on
// `sub` + a cutoff time (every token of that subject issued before it),
// never on the raw token string; a revoked token is rejected with its own
// reason code, 401, cache hits included.
func TestAttackRevoked(t *testing.T) {
	t.Parallel()
	for _, cache := range []bool{false, true} {
		t.Run(map[bool]string{false: "no cache", true: "cache hits"}[cache], func(t *testing.T) {
			t.Parallel()
			r, list, _ := revokeRig(t, cache)
			ctx := context.Background()
			now := r.clock.Now()
			stolen := r.token(t, map[string]any{"jti": "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"}, "")
			other := r.token(t, map[string]any{"jti": "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"}, "")
			r.accept(t, stolen) // cached, when the cache is on
			r.accept(t, other)

			require.NoError(t, list.RevokeToken(ctx, "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", now.Add(5*time.Minute)))
			r.reject(t, stolen, token.ErrRevoked)
			// The same token with its other valid ECDSA signature: a new raw
			// string, the same jti.
			r.reject(t, malleate(t, stolen), token.ErrRevoked)
			r.accept(t, other)

			// The task finished: every token of it issued until now, whatever
			// its jti; tokens of other tasks are untouched.
			require.NoError(t, list.RevokeSubject(ctx, taskID, now))
			r.reject(t, other, token.ErrRevoked)
			r.reject(t, r.token(t, map[string]any{"jti": uuid.NewString()}, ""), token.ErrRevoked)
			r.accept(t, r.token(t, map[string]any{"sub": uuid.NewString()}, ""))
			// Minted in the revocation's second, even after it: refused.
			r.clock.Advance(999 * time.Millisecond)
			r.reject(t, r.token(t, map[string]any{"jti": uuid.NewString()}, ""), token.ErrRevoked)
			// A new token of the subject from the next second on is not.
			r.clock.Advance(time.Millisecond)
			r.accept(t, r.token(t, map[string]any{"jti": uuid.NewString()}, ""))
		})
	}
}

// SECURITY.md "Fleet state": store unreachable → fail closed (503 +
// `Retry-After`) unless the host opted into fail-open with a bounded
// staleness; no revocation is lost across a store outage.
func TestAttackRevocationStoreDown(t *testing.T) {
	t.Parallel()
	for _, cache := range []bool{false, true} {
		t.Run(map[bool]string{false: "no cache", true: "cache hits"}[cache], func(t *testing.T) {
			t.Parallel()
			r, list, store := revokeRig(t, cache)
			revoked := r.token(t, map[string]any{"jti": "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"}, "")
			valid := r.token(t, nil, "")
			r.accept(t, valid)
			require.NoError(t, list.RevokeToken(t.Context(), "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", r.clock.Now().Add(5*time.Minute)))

			store.down.Store(true)
			r.clock.Advance(2*time.Minute + time.Second) // past MaxStale, before the tokens' exp
			require.ErrorIs(t, list.Sync(t.Context()), revoke.ErrUnavailable)
			r.reject(t, valid, token.ErrRevocationUnavailable) // 503 + Retry-After, never 401
			r.reject(t, valid, token.ErrRevocationUnavailable) // and stays so
			r.reject(t, revoked, token.ErrRevoked)             // a known revocation: never accepted
			// A revocation during the outage is not shared, but refused here.
			late := r.token(t, map[string]any{"jti": "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"}, "")
			require.ErrorIs(t, list.RevokeToken(t.Context(), "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", r.clock.Now().Add(5*time.Minute)), revoke.ErrUnavailable)
			r.reject(t, late, token.ErrRevoked)

			store.down.Store(false)
			require.NoError(t, list.Sync(t.Context()))
			r.accept(t, valid)
			r.reject(t, revoked, token.ErrRevoked) // written before the outage: still holds
		})
	}
}
