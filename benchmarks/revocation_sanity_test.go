package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/token"
)

// TestRevocationRowsAdmit: every hot-path row admits the shared token, so
// that a row is not fast because it rejects.
func TestRevocationRowsAdmit(t *testing.T) {
	t.Parallel()
	f := esFixture(t)
	for _, cached := range []bool{true, false} {
		for _, store := range []bool{false, true} {
			t.Run(fmt.Sprintf("cached=%v/store=%v", cached, store), func(t *testing.T) {
				t.Parallel()
				check := hotPath(t, f, cached, store)
				require.NoError(t, check())
				require.NoError(t, check(), "a second time, from the cache if there is one")
			})
		}
	}
}

// TestReplicaRefusesRevoked: a replica of the store rows consults the store
// on every request. A token revoked through replica A, by jti or by task,
// is refused by replica B once B has synced, even after B cached it: 401
// invalid_token.
func TestReplicaRefusesRevoked(t *testing.T) {
	t.Parallel()
	f := esFixture(t)
	v, err := revocationVerifier(f, 0, nil)
	require.NoError(t, err)
	tests := []struct {
		name   string
		revoke func(ctx context.Context, a *replica, c *token.Claims) error
	}{
		{name: "jti", revoke: func(ctx context.Context, a *replica, c *token.Claims) error {
			return a.list.RevokeToken(ctx, c.ID, c.ExpiresAt)
		}},
		{name: "task", revoke: func(ctx context.Context, a *replica, c *token.Claims) error {
			return a.list.RevokeSubject(ctx, c.Subject, time.Now())
		}},
	}
	for _, tc := range tests {
		for _, cache := range []int{0, cacheSize} {
			t.Run(fmt.Sprintf("%s/cache=%d", tc.name, cache), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				addr, prefix := redisServer(t)
				a, err := newReplica(ctx, addr, prefix, f, cache)
				require.NoError(t, err)
				t.Cleanup(a.Close)
				b, err := newReplica(ctx, addr, prefix, f, cache)
				require.NoError(t, err)
				t.Cleanup(b.Close)
				c, err := v.Verify(ctx, f.token)
				require.NoError(t, err)

				require.Equal(t, http.StatusNoContent, statusOf(b.h, f.token)(), "admitted before")
				require.NoError(t, tc.revoke(ctx, a, c))
				require.NoError(t, b.list.Sync(ctx))

				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPut, heartbeat, nil)
				r.Header.Set("Authorization", "Bearer "+f.token)
				b.h.ServeHTTP(w, r)
				assert.Equal(t, http.StatusUnauthorized, w.Code)
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
			})
		}
	}
}

// TestLoadedList: the size rows' lists hold exactly the loaded jtis, so that
// the timed misses are misses, and the heap they are charged includes each
// entry's jti string (48 bytes: "jti:" and 32 hex digits, as from Redis),
// which the store does not keep. Not parallel: the heap is measured.
func TestLoadedList(t *testing.T) {
	const n = 10_000
	l, held := loadedList(t, n)
	assert.Equal(t, n, l.Len())
	assert.GreaterOrEqual(t, held, int64(n*48))
	iat := time.Now()
	for _, tc := range []struct {
		jti     string
		revoked bool
	}{
		{jti: fmt.Sprintf("%032x", 0), revoked: true},
		{jti: fmt.Sprintf("%032x", n-1), revoked: true},
		{jti: fmt.Sprintf("%032x", n), revoked: false},
		{jti: fmt.Sprintf("%032x", 1<<62), revoked: false},
	} {
		revoked, err := l.Check(tc.jti, "0198c5a4-8b1e-7c3d-9f2a-4e6b8d0c1a2f", iat)
		require.NoError(t, err)
		assert.Equal(t, tc.revoked, revoked, tc.jti)
	}
}

// TestPercentile: nearest rank, as the propagation row reports it.
func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // reversed: percentile sorts
	}
	tests := []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{name: "p50 of 100", lat: hundred, q: 0.50, want: 50 * time.Millisecond},
		{name: "p99 of 100", lat: hundred, q: 0.99, want: 99 * time.Millisecond},
		{name: "max of 100", lat: hundred, q: 1, want: 100 * time.Millisecond},
		{name: "p99 of 1", lat: []time.Duration{time.Second}, q: 0.99, want: time.Second},
		{name: "none", lat: nil, q: 0.5, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, percentile(tc.lat, tc.q))
		})
	}
}
