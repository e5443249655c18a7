package securitytest

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// A clock jumping back and forth across iat/nbf, the reissue window and exp
// (plus leeway): verification, with and without the verified-token cache,
// and the reissue decision depend on the time alone, flip exactly at the
// documented boundaries and never panic.
func TestFaultsClockJumps(t *testing.T) {
	t.Parallel()
	plain := newRig(t, rigOpts{})
	cached := newRig(t, rigOpts{clock: plain.clock, key: plain.key, verify: func(c *token.VerifierConfig) { c.CacheSize = 16 }})
	raw := mint(t, plain.issuer, execClaims()) // iat = nbf = auth_time = t0, exp = t0+10m
	exp, leeway := t0.Add(10*time.Minute), token.DefaultLeeway
	window := max(10*time.Minute/5, refresh.MinWindow)
	points := []struct {
		at      time.Time
		wantErr error
		due     bool
	}{
		{t0.Add(-time.Hour), token.ErrNotYetValid, false},
		{t0.Add(-leeway - time.Nanosecond), token.ErrNotYetValid, false},
		{t0.Add(-leeway), nil, false},
		{t0, nil, false},
		{exp.Add(-window - time.Nanosecond), nil, false},
		{exp.Add(-window), nil, true},
		{exp.Add(-time.Nanosecond), nil, true},
		{exp, nil, false},
		{exp.Add(leeway - time.Nanosecond), nil, false},
		{exp.Add(leeway), token.ErrExpired, false},
		{exp.Add(24 * time.Hour), token.ErrExpired, false},
	}
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: the same jumps every run
	for jump := range 400 {
		// Walk every point in order first, then jump at random.
		p := points[jump%len(points)]
		if jump >= len(points) {
			p = points[rng.IntN(len(points))]
		}
		plain.clock.Set(p.at)
		for name, v := range map[string]*token.Verifier{"plain": plain.v, "cached": cached.v} {
			c, err := v.Verify(t.Context(), raw)
			if p.wantErr == nil {
				require.NoError(t, err, "%s verifier at %s", name, p.at)
				require.NotNil(t, c)
			} else {
				require.ErrorIs(t, err, p.wantErr, "%s verifier at %s", name, p.at)
				require.Nil(t, c)
			}
		}
		rec := plain.serve(request("Bearer " + raw))
		wantStatus := http.StatusOK
		if p.wantErr != nil {
			wantStatus = http.StatusUnauthorized
		}
		require.Equal(t, wantStatus, rec.Code, "at %s", p.at)
		require.Equal(t, p.due, rec.Header().Get(refresh.DefaultHeader) != "", "reissued at %s", p.at)
	}
}

// The staleness of remote keys under clock jumps: usable up to the
// nanosecond before MaxStale, unavailable from it on; a jump back never
// makes a genuine token fail otherwise, and a successful fetch restores
// the keys.
func TestFaultsClockJumpsKeyStaleness(t *testing.T) {
	t.Parallel()
	r, srv, c, _ := cacheRig(t, nil) // fetched at t0, MaxStale 2h
	failing := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }
	srv.SetHandler(failing)
	stale := t0.Add(2 * time.Hour)
	r.clock.Set(stale.Add(-time.Nanosecond))
	r.accept(t, r.token(t, nil, ""))
	r.clock.Set(stale)
	r.reject(t, r.token(t, nil, ""), token.ErrKeysUnavailable)
	for _, at := range []time.Time{t0, t0.Add(-time.Hour), stale.Add(time.Hour), t0.Add(time.Minute)} {
		r.clock.Set(at)
		_, err := r.v.Verify(t.Context(), r.token(t, nil, ""))
		if err != nil && !errors.Is(err, token.ErrKeysUnavailable) {
			t.Errorf("after a jump to %s: %v", at, err)
		}
	}
	srv.SetKeys(t, r.key.Public())
	require.NoError(t, c.Refresh(t.Context()))
	fetched := r.clock.Now()
	r.accept(t, r.token(t, nil, ""))
	r.clock.Set(fetched.Add(-24 * time.Hour))
	r.accept(t, r.token(t, nil, ""))
	srv.SetHandler(failing)
	r.clock.Set(fetched.Add(2 * time.Hour))
	_, err := r.v.Verify(t.Context(), r.token(t, nil, ""))
	assert.ErrorIs(t, err, token.ErrKeysUnavailable)
}
