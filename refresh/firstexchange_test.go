package refresh_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// exchange runs Exchange for claims and returns the auth_time of the token it
// handed out, or the error.
func exchange(t *testing.T, f *fixture, re *refresh.Reissuer, c *token.Claims) (time.Time, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPatch, "/task-instances/x/run", nil)
	req = req.WithContext(token.NewContext(req.Context(), c))
	rec := httptest.NewRecorder()
	if err := re.Exchange(rec, req); err != nil {
		assert.Empty(t, rec.Header().Get(refresh.DefaultHeader), "nothing handed out on error")
		return time.Time{}, err
	}
	next, err := f.verifier.Verify(t.Context(), rec.Header().Get(refresh.DefaultHeader))
	require.NoError(t, err)
	return next.AuthTime, nil
}

// TestExchangeRetryStaysInChain: the red-team finding. A holder of the
// workload token retries the run call to fork chains with fresh auth_times;
// every retry, on the same or another replica, is anchored at the first.
func TestExchangeRetryStaysInChain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := revoke.NewMemory(f.clock.Now)
	replicaA := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Exchanges = shared })
	replicaB := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Exchanges = shared })
	alone := f.reissuer(t, nil) // no store configured: its own memory
	w := f.verify(t, f.mint(t, scope.Workload, t0, 24*time.Hour))

	first, err := exchange(t, f, replicaA, w)
	require.NoError(t, err)
	assert.Equal(t, t0.Unix(), first.Unix())
	f.clock.Advance(time.Hour)
	for name, re := range map[string]*refresh.Reissuer{"same replica": replicaA, "other replica": replicaB} {
		got, err := exchange(t, f, re, w)
		require.NoError(t, err, name)
		assert.Equal(t, first, got, "%s: auth_time of the first exchange", name)
	}

	got, err := exchange(t, f, alone, w)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	again, err := exchange(t, f, alone, w)
	require.NoError(t, err)
	assert.Equal(t, got, again, "without a configured store the default memory still anchors retries")
}

func TestExchangeChainTooOld(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	re := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.MaxChainAge = time.Hour })
	raw := f.mint(t, scope.Workload, t0, 24*time.Hour)
	_, err := exchange(t, f, re, f.verify(t, raw))
	require.NoError(t, err)
	f.clock.Advance(time.Hour)
	w := f.verify(t, raw) // still valid: 23h left
	_, err = exchange(t, f, re, w)
	require.ErrorIs(t, err, refresh.ErrNotExchangeable, "a retry cannot outlive MaxChainAge")
}

type downStore struct{}

func (downStore) FirstExchange(context.Context, string, time.Time, time.Time) (time.Time, error) {
	return time.Time{}, revoke.ErrUnavailable
}

func TestExchangeStoreDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	re := f.reissuer(t, func(c *refresh.ReissuerConfig) { c.Exchanges = downStore{} })
	w := f.verify(t, f.mint(t, scope.Workload, t0, 24*time.Hour))
	_, err := exchange(t, f, re, w)
	require.ErrorIs(t, err, refresh.ErrUnavailable)
	require.ErrorIs(t, err, revoke.ErrUnavailable)
	require.False(t, errors.Is(err, refresh.ErrNotExchangeable))
}

// TestRevokedTokenNeverReissued: a revoked execution token inside its
// reissue window is refused by verification, so no successor is minted.
func TestRevokedTokenNeverReissued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	list, err := revoke.NewList(context.Background(), revoke.Config{
		Store: revoke.NewMemory(f.clock.Now), Now: f.clock.Now, PollInterval: time.Hour, MaxStale: 2 * time.Hour,
	})
	require.NoError(t, err)
	t.Cleanup(list.Close)
	keys, err := jwks.NewStatic(f.key.Public())
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Issuer: "iss", Audience: []string{"aud"}, Now: f.clock.Now, Revocations: list})
	require.NoError(t, err)
	handler := authenticate(v, f.reissuer(t, nil).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))

	for _, revokeBy := range []string{"jti", "subject"} {
		t.Run(revokeBy, func(t *testing.T) {
			raw := f.dueToken(t)
			c := f.verify(t, raw)
			call := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPut, "/task-instances/x/heartbeat", nil)
				req.Header.Set("Authorization", "Bearer "+string(raw))
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				return rec
			}
			require.NotEmpty(t, call().Header().Get(refresh.DefaultHeader), "due and not revoked: reissued")
			if revokeBy == "jti" {
				require.NoError(t, list.RevokeToken(t.Context(), c.ID, c.ExpiresAt))
			} else {
				require.NoError(t, list.RevokeSubject(t.Context(), c.Subject, f.clock.Now()))
			}
			rec := call()
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Empty(t, rec.Header().Get(refresh.DefaultHeader), "a revoked token is never reissued")
		})
	}
}
