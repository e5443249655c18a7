package revoke

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newTestList(t, NewMemory(c.now), c, Config{})
	ctx := context.Background()
	require.NoError(t, l.RevokeToken(ctx, "jti-1", t0.Add(10*time.Minute)))
	// Revoked at 12:00:00.5: the cutoff counts as the second 12:00:00.
	require.NoError(t, l.RevokeSubject(ctx, "task-1", t0.Add(500*time.Millisecond)))

	for _, tc := range []struct {
		name     string
		jti, sub string
		iat      time.Time
		want     bool
	}{
		{"revoked jti", "jti-1", "task-2", t0.Add(-time.Minute), true},
		{"revoked jti, any iat", "jti-1", "task-2", t0.Add(time.Hour), true},
		{"revoked jti, no sub", "jti-1", "", t0, true},
		{"other jti, other sub", "jti-2", "task-2", t0, false},
		{"subject, issued long before", "jti-2", "task-1", t0.Add(-23 * time.Hour), true},
		{"subject, issued the second before", "jti-2", "task-1", t0.Add(-time.Second), true},
		{"subject, issued in the cutoff's second", "jti-2", "task-1", t0, true},
		{"subject, same second after the cutoff", "jti-2", "task-1", t0.Add(900 * time.Millisecond), true},
		{"subject, the next second", "jti-2", "task-1", t0.Add(time.Second), false},
		{"subject, no jti", "", "task-1", t0, true},
		{"no jti, no sub", "", "", t0, false},
		{"a jti equal to a revoked subject", "task-1", "task-2", t0, false},
		{"a subject equal to a revoked jti", "jti-2", "jti-1", t0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			revoked, err := l.Check(tc.jti, tc.sub, tc.iat)
			require.NoError(t, err)
			assert.Equal(t, tc.want, revoked)
		})
	}
}

func TestCheckLaterCutoffWins(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newTestList(t, NewMemory(c.now), c, Config{})
	ctx := context.Background()
	require.NoError(t, l.RevokeSubject(ctx, "task-1", t0.Add(time.Minute)))
	require.NoError(t, l.RevokeSubject(ctx, "task-1", t0)) // earlier: revokes nothing less
	revoked, err := l.Check("j", "task-1", t0.Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, revoked)
	require.NoError(t, l.RevokeSubject(ctx, "task-1", t0.Add(2*time.Minute)))
	revoked, err = l.Check("j", "task-1", t0.Add(2*time.Minute))
	require.NoError(t, err)
	assert.True(t, revoked)
}

func TestExpiryPurge(t *testing.T) {
	t.Parallel()
	const lifetime = time.Hour
	for _, tc := range []struct {
		name   string
		revoke func(l *List) error
		until  time.Time
	}{
		{"jti: exp plus the margin", func(l *List) error {
			return l.RevokeToken(context.Background(), "jti-1", t0.Add(10*time.Minute))
		}, t0.Add(10*time.Minute + ExpiryMargin)},
		{"subject: cutoff plus MaxLifetime plus the margin", func(l *List) error {
			return l.RevokeSubject(context.Background(), "jti-1", t0)
		}, t0.Add(lifetime + ExpiryMargin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			store := NewMemory(c.now)
			l := newTestList(t, store, c, Config{MaxLifetime: lifetime, MaxStale: 24 * time.Hour})
			require.NoError(t, tc.revoke(l))
			check := func() bool {
				revoked, err := l.Check("jti-1", "jti-1", t0.Add(-time.Minute))
				require.NoError(t, err)
				return revoked
			}

			c.add(tc.until.Sub(c.now()) - time.Second)
			require.NoError(t, l.Sync(context.Background()))
			assert.True(t, check(), "a second before until")
			assert.Equal(t, 1, l.Len())
			all, _, err := store.Since(context.Background(), "")
			require.NoError(t, err)
			assert.Len(t, all, 1)

			c.add(listPurgeEvery) // the purges of the list and the store are a minute apart
			require.NoError(t, l.Sync(context.Background()))
			assert.False(t, check(), "past until: purged")
			assert.Zero(t, l.Len())
			all, _, err = store.Since(context.Background(), "")
			require.NoError(t, err)
			assert.Empty(t, all)
		})
	}
}

func TestRevokeAlreadyExpired(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newTestList(t, NewMemory(c.now), c, Config{})
	require.NoError(t, l.RevokeToken(context.Background(), "jti-1", t0.Add(-ExpiryMargin)))
	assert.Zero(t, l.Len(), "an entry already past its Until is not kept")
}

func TestRevokeInvalid(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newTestList(t, NewMemory(c.now), c, Config{})
	ctx := context.Background()
	require.ErrorIs(t, l.RevokeToken(ctx, "", t0), ErrInvalidEntry)
	require.ErrorIs(t, l.RevokeToken(ctx, "jti-1", time.Time{}), ErrInvalidEntry)
	require.ErrorIs(t, l.RevokeSubject(ctx, "", t0), ErrInvalidEntry)
	require.ErrorIs(t, l.RevokeSubject(ctx, "task-1", time.Time{}), ErrInvalidEntry)
	assert.Zero(t, l.Len())
}

func TestPropagation(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := NewMemory(c.now)
	a := newTestList(t, store, c, Config{})
	b := newTestList(t, store, c, Config{})
	ctx := context.Background()
	require.NoError(t, a.RevokeToken(ctx, "jti-1", t0.Add(time.Minute)))
	require.NoError(t, a.RevokeSubject(ctx, "task-1", t0))

	revoked, err := b.Check("jti-1", "task-2", t0)
	require.NoError(t, err)
	assert.False(t, revoked, "b has not synced yet")
	require.NoError(t, b.Sync(ctx))
	for _, tok := range [][2]string{{"jti-1", "task-2"}, {"jti-2", "task-1"}} {
		revoked, err := b.Check(tok[0], tok[1], t0)
		require.NoError(t, err)
		assert.True(t, revoked, tok)
	}

	// A replica started now loads every live entry before NewList returns.
	restarted := newTestList(t, store, c, Config{})
	assert.Equal(t, 2, restarted.Len())
}

func TestBackgroundSync(t *testing.T) {
	t.Parallel()
	store := NewMemory(nil)
	l, err := NewList(context.Background(), Config{Store: store, PollInterval: time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, store.Revoke(context.Background(), Entry{JTI: "jti-1", Until: time.Now().Add(time.Hour)}))
	assert.Eventually(t, func() bool {
		revoked, err := l.Check("jti-1", "", time.Now())
		return err == nil && revoked
	}, 10*time.Second, time.Millisecond, "the loop syncs without being asked")
}

func TestConfig(t *testing.T) {
	t.Parallel()
	store := NewMemory(nil)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"negative poll interval", Config{Store: store, PollInterval: -1}},
		{"negative MaxStale", Config{Store: store, MaxStale: -1}},
		{"negative timeout", Config{Store: store, Timeout: -1}},
		{"negative MaxLifetime", Config{Store: store, MaxLifetime: -1}},
		{"negative fail-open", Config{Store: store, InsecureFailOpenFor: -1}},
		{"MaxStale not above the interval", Config{Store: store, PollInterval: time.Minute, MaxStale: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewList(context.Background(), tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
		})
	}

	l, err := NewList(context.Background(), Config{Store: store, Logger: quiet})
	require.NoError(t, err)
	defer l.Close()
	assert.Equal(t, DefaultPollInterval, l.interval)
	assert.Equal(t, DefaultMaxStale, l.maxStale)
	assert.Equal(t, DefaultTimeout, l.timeout)
	assert.Equal(t, DefaultMaxLifetime, l.maxLifetime)
	assert.Zero(t, l.failOpen)

	l2, err := NewList(context.Background(), Config{Store: store, Logger: quiet, PollInterval: 5 * time.Second})
	require.NoError(t, err)
	defer l2.Close()
	assert.Equal(t, 20*time.Second, l2.maxStale, "four poll intervals when longer than the default")
}
