package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/redisstore"
	"github.com/execauth/execauth/revoke"
	"github.com/execauth/execauth/revoke/storetest"
)

// t0 is a whole second a little in the future, so that entries the tests
// write are live for the server's clock too.
var t0 = time.Now().Add(time.Minute).Truncate(time.Second)

// newMini returns a miniredis server, a client of it and a store on it
// whose clock is now.
func newMini(t *testing.T, now func() time.Time) (*miniredis.Miniredis, *redis.Client, *redisstore.Store) {
	t.Helper()
	m := miniredis.RunT(t)
	c := newClient(t, m.Addr())
	s, err := redisstore.New(redisstore.Config{Client: c, Now: now})
	require.NoError(t, err)
	return m, c, s
}

func TestContractMiniredis(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) revoke.Store {
		_, _, s := newMini(t, nil)
		return s
	})
}

func TestConfig(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
		ok   bool
	}{
		{"no client", redisstore.Config{}, false},
		{"default prefix", redisstore.Config{Client: c}, true},
		{"prefix with a tag", redisstore.Config{Client: c, Prefix: "app:{auth}:"}, true},
		{"prefix without a tag", redisstore.Config{Client: c, Prefix: "execauth:"}, false},
		{"empty tag", redisstore.Config{Client: c, Prefix: "{}execauth:"}, false},
		{"unclosed tag", redisstore.Config{Client: c, Prefix: "{execauth:"}, false},
		{"negative resync", redisstore.Config{Client: c, ResyncInterval: -time.Second}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redisstore.New(tc.cfg)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, redisstore.ErrConfig)
			}
		})
	}
}

// TestKeyLayout pins what an operator sees with redis-cli, as the package
// doc describes it.
func TestKeyLayout(t *testing.T) {
	t.Parallel()
	m, c, s := newMini(t, nil)
	ctx := context.Background()
	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "jti-1", Until: t0.Add(time.Hour)}))
	require.NoError(t, s.Revoke(ctx, revoke.Entry{Subject: "task-1", Cutoff: t0.Add(500 * time.Millisecond), Until: t0.Add(2*time.Hour + time.Millisecond)}))
	_, err := s.FirstExchange(ctx, "task-1", t0, t0.Add(time.Hour))
	require.NoError(t, err)

	assert.ElementsMatch(t, []string{
		"{execauth}:revoke:entries", "{execauth}:revoke:changes", "{execauth}:revoke:expiry",
		"{execauth}:revoke:seq", "{execauth}:revoke:epoch", "{execauth}:exchange:task-1",
	}, m.Keys())
	entries, err := c.HGetAll(ctx, "{execauth}:revoke:entries").Result()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"jti:jti-1":  fmt.Sprintf("0 %d", t0.Add(time.Hour).Unix()),
		"sub:task-1": fmt.Sprintf("%d %d", t0.Unix(), t0.Add(2*time.Hour).Unix()+1),
	}, entries, "cutoff rounded down, until up")
	changes, err := c.ZRangeWithScores(ctx, "{execauth}:revoke:changes", 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []redis.Z{{Score: 1, Member: "jti:jti-1"}, {Score: 2, Member: "sub:task-1"}}, changes)
	expiry, err := c.ZScore(ctx, "{execauth}:revoke:expiry", "jti:jti-1").Result()
	require.NoError(t, err)
	assert.Equal(t, float64(t0.Add(time.Hour).Unix()), expiry)
	assert.Equal(t, "2", must(c.Get(ctx, "{execauth}:revoke:seq").Result()))
	assert.Equal(t, fmt.Sprint(t0.Unix()), must(c.Get(ctx, "{execauth}:exchange:task-1").Result()))
	assert.Positive(t, m.TTL("{execauth}:exchange:task-1"), "the record expires")

	// One Cluster slot for every key: a script may touch several.
	slot := must(c.ClusterKeySlot(ctx, "{execauth}:revoke:entries").Result())
	for _, k := range m.Keys() {
		assert.Equal(t, slot, must(c.ClusterKeySlot(ctx, k).Result()), k)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestPurgeOnWrite(t *testing.T) {
	t.Parallel()
	now := t0
	m, _, s := newMini(t, func() time.Time { return now })
	ctx := context.Background()
	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "short", Until: t0.Add(time.Minute)}))
	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "long", Until: t0.Add(time.Hour)}))

	now = t0.Add(time.Minute - time.Second)
	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "other", Until: t0.Add(time.Hour)}))
	assert.NotEmpty(t, m.HGet("{execauth}:revoke:entries", "jti:short"), "kept until its until")

	now = t0.Add(time.Minute)
	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "other2", Until: t0.Add(time.Hour)}))
	assert.Empty(t, m.HGet("{execauth}:revoke:entries", "jti:short"), "purged at its until")
	for _, k := range []string{"{execauth}:revoke:changes", "{execauth}:revoke:expiry"} {
		members, err := m.ZMembers(k)
		require.NoError(t, err)
		assert.NotContains(t, members, "jti:short")
		assert.Contains(t, members, "jti:long")
	}
}

func TestSinceStartsOverWhenTheStoreWentBack(t *testing.T) {
	t.Parallel()
	now := t0
	m, c, s := newMini(t, func() time.Time { return now })
	ctx := context.Background()
	e1 := revoke.Entry{JTI: "jti-1", Until: t0.Add(time.Hour)}
	require.NoError(t, s.Revoke(ctx, e1))
	_, cursor, err := s.Since(ctx, "")
	require.NoError(t, err)

	t.Run("keys lost", func(t *testing.T) {
		m.FlushAll()
		got, c2, err := s.Since(ctx, cursor)
		require.NoError(t, err)
		assert.Empty(t, got)
		e2 := revoke.Entry{JTI: "jti-2", Until: t0.Add(time.Hour)}
		require.NoError(t, s.Revoke(ctx, e2))
		got, _, err = s.Since(ctx, c2)
		require.NoError(t, err)
		assert.Equal(t, []string{"jti-2"}, jtis(got))
		_, cursor, err = s.Since(ctx, "")
		require.NoError(t, err)
	})
	t.Run("sequence number went back", func(t *testing.T) {
		// A failover to a replica that missed the last write (jti-lost): the
		// same epoch, an older seq, and a new write that reuses the sequence
		// number the cursor stands at.
		require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "jti-lost", Until: t0.Add(time.Hour)}))
		_, cursor, err = s.Since(ctx, cursor)
		require.NoError(t, err)
		require.NoError(t, c.HDel(ctx, "{execauth}:revoke:entries", "jti:jti-lost").Err())
		require.NoError(t, c.ZRem(ctx, "{execauth}:revoke:changes", "jti:jti-lost").Err())
		require.NoError(t, c.ZRem(ctx, "{execauth}:revoke:expiry", "jti:jti-lost").Err())
		require.NoError(t, c.Decr(ctx, "{execauth}:revoke:seq").Err())

		require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "jti-3", Until: t0.Add(time.Hour)}))
		got, _, err := s.Since(ctx, cursor)
		require.NoError(t, err)
		assert.Equal(t, []string{"jti-2", "jti-3"}, jtis(got), "everything there is, not a gap")
	})
	t.Run("resync interval", func(t *testing.T) {
		_, cursor, err := s.Since(ctx, "")
		require.NoError(t, err)
		got, _, err := s.Since(ctx, cursor)
		require.NoError(t, err)
		assert.Empty(t, got)
		now = now.Add(redisstore.DefaultResyncInterval)
		got, _, err = s.Since(ctx, cursor)
		require.NoError(t, err)
		assert.Equal(t, []string{"jti-2", "jti-3"}, jtis(got), "a full load once per ResyncInterval")
	})
}

func jtis(entries []revoke.Entry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.JTI)
	}
	return out
}

func TestSincePages(t *testing.T) {
	t.Parallel()
	_, c, s := newMini(t, nil)
	ctx := context.Background()
	const n = 2500 // three pages
	for i := range n {
		require.NoError(t, c.HSet(ctx, "{execauth}:revoke:entries", fmt.Sprintf("jti:%d", i), fmt.Sprintf("0 %d", t0.Add(time.Hour).Unix())).Err())
		require.NoError(t, c.ZAdd(ctx, "{execauth}:revoke:changes", redis.Z{Score: float64(i + 1), Member: fmt.Sprintf("jti:%d", i)}).Err())
	}
	require.NoError(t, c.Set(ctx, "{execauth}:revoke:seq", n, 0).Err())
	require.NoError(t, c.Set(ctx, "{execauth}:revoke:epoch", "e1", 0).Err())
	got, cursor, err := s.Since(ctx, "")
	require.NoError(t, err)
	assert.Len(t, got, n)
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.JTI] = true
	}
	assert.Len(t, seen, n, "each entry once")

	require.NoError(t, s.Revoke(ctx, revoke.Entry{JTI: "new", Until: t0.Add(time.Hour)}))
	got, _, err = s.Since(ctx, cursor)
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, jtis(got))
}

func TestMalformedData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ field, value string }{
		{"jti:x", "garbage"},
		{"jti:x", "1 two"},
		{"other:x", "0 1"},
		{"jti:", "0 1"},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			_, c, s := newMini(t, nil)
			ctx := context.Background()
			require.NoError(t, c.HSet(ctx, "{execauth}:revoke:entries", tc.field, tc.value).Err())
			require.NoError(t, c.ZAdd(ctx, "{execauth}:revoke:changes", redis.Z{Score: 1, Member: tc.field}).Err())
			require.NoError(t, c.Set(ctx, "{execauth}:revoke:seq", 1, 0).Err())
			_, _, err := s.Since(ctx, "")
			require.ErrorIs(t, err, redisstore.ErrMalformed)
			require.ErrorIs(t, err, revoke.ErrUnavailable, "a list fails closed")
		})
	}
}

func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	m, _, s := newMini(t, nil)
	m.Close()
	ctx := context.Background()
	require.ErrorIs(t, s.Revoke(ctx, revoke.Entry{JTI: "jti-1", Until: t0.Add(time.Hour)}), revoke.ErrUnavailable)
	_, _, err := s.Since(ctx, "")
	require.ErrorIs(t, err, revoke.ErrUnavailable)
	_, err = s.FirstExchange(ctx, "task-1", t0, t0.Add(time.Hour))
	require.ErrorIs(t, err, revoke.ErrUnavailable)
}

func TestFirstExchangeExpires(t *testing.T) {
	t.Parallel()
	m, _, s := newMini(t, nil)
	ctx := context.Background()
	first, err := s.FirstExchange(ctx, "task-1", t0, time.Now().Add(time.Hour))
	require.NoError(t, err)
	m.FastForward(time.Hour - time.Second)
	got, err := s.FirstExchange(ctx, "task-1", t0.Add(time.Minute), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, first, got)
	m.FastForward(time.Second)
	got, err = s.FirstExchange(ctx, "task-1", t0.Add(time.Minute), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, t0.Add(time.Minute), got, "expired: a new first exchange")
}

func TestPrefixSeparatesStores(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c := newClient(t, m.Addr())
	a := must(redisstore.New(redisstore.Config{Client: c, Prefix: "{a}:"}))
	b := must(redisstore.New(redisstore.Config{Client: c, Prefix: "{b}:"}))
	ctx := context.Background()
	require.NoError(t, a.Revoke(ctx, revoke.Entry{JTI: "jti-1", Until: t0.Add(time.Hour)}))
	got, _, err := b.Since(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, got)
}
