package token

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// countingKeys counts lookups and reports a generation the test controls.
type countingKeys struct {
	mu      sync.Mutex
	keys    *jwks.Static
	gen     atomic.Uint64
	lookups atomic.Int32
}

func (k *countingKeys) LookupKey(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
	k.lookups.Add(1)
	k.mu.Lock()
	keys := k.keys
	k.mu.Unlock()
	return keys.LookupKey(ctx, kid, alg)
}

func (k *countingKeys) Generation() uint64 { return k.gen.Load() }

func (k *countingKeys) set(t testing.TB, keys ...jwks.Key) {
	s, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	k.mu.Lock()
	k.keys = s
	k.mu.Unlock()
	k.gen.Add(1)
}

type cacheFixture struct {
	fixture
	keys *countingKeys
	at   *atomic.Int64 // unix seconds of the verifier's clock
}

func newCacheFixture(t testing.TB, size int) cacheFixture {
	keys := &countingKeys{}
	at := new(atomic.Int64)
	at.Store(now.Unix())
	f := newFixture(t, "ES256", func(c *VerifierConfig) {
		c.Keys = keys
		c.CacheSize = size
		c.Now = func() time.Time { return time.Unix(at.Load(), 0) }
	})
	keys.set(t, f.key.Public())
	return cacheFixture{fixture: f, keys: keys, at: at}
}

func TestCacheHitSkipsLookup(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 64)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	first, err := f.verify(t, raw)
	require.NoError(t, err)
	require.EqualValues(t, 1, f.keys.lookups.Load())

	second, err := f.verify(t, raw)
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.keys.lookups.Load(), "a hit needs no key and no signature check")
	assert.Same(t, first, second, "a hit shares the claims of the first verification")
}

// A hit must never skip the signature of a token it has not verified: same
// header and claims with another signature, or the same signature with
// another header or claims, is a miss and is checked in full.
func TestCacheNeverTrustsAnotherSignature(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 64)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	_, err := f.verify(t, raw)
	require.NoError(t, err)

	parts := strings.Split(raw, ".")
	sig, err := decodeSegment(nil, parts[2])
	require.NoError(t, err)
	sig[5] ^= 0x01
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	_, err = f.verify(t, forged)
	require.ErrorIs(t, err, ErrSignature)

	// ECDSA malleability: (r, n-s) is another valid signature of the same
	// token. It verifies on its own merits, as a separate entry, never as a hit.
	sig[5] ^= 0x01 // restore
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	n := f.key.Public().Material().(*ecdsa.PublicKey).Curve.Params().N
	malleated := make([]byte, 64)
	r.FillBytes(malleated[:32])
	new(big.Int).Sub(n, s).FillBytes(malleated[32:])
	other := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(malleated)
	before := f.keys.lookups.Load()
	_, err = f.verify(t, other)
	require.NoError(t, err)
	assert.Equal(t, before+1, f.keys.lookups.Load(), "the malleated token was verified, not served from cache")

	// The cache finds an entry by a hash of the signature: the same
	// signature under other claims or another header finds it, is not equal
	// to it, and is checked in full.
	for _, forged := range []string{
		parts[0] + "." + testkit.B64(validClaims(t, map[string]any{"sub": uuid.NewString()})) + "." + parts[2],
		testkit.B64(`{"alg":"ES256","kid":"k1"}`) + "." + parts[1] + "." + parts[2],
	} {
		before := f.keys.lookups.Load()
		_, err = f.verify(t, forged)
		require.ErrorIs(t, err, ErrSignature)
		assert.Equal(t, before+1, f.keys.lookups.Load(), "checked in full, not served from cache")
	}
}

func TestCacheRechecksTimeOnHit(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 64)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil)) // exp = now + 5m
	_, err := f.verify(t, raw)
	require.NoError(t, err)

	f.at.Store(now.Add(5*time.Minute + DefaultLeeway).Unix())
	_, err = f.verify(t, raw)
	require.ErrorIs(t, err, ErrExpired)
	assert.Zero(t, f.v.cache.len(), "an expired entry is dropped")

	// Clock going backwards before nbf/iat: the hit is refused too.
	g := newCacheFixture(t, 64)
	raw = g.signed(t, validHeaderES256, validClaims(t, nil))
	_, err = g.verify(t, raw)
	require.NoError(t, err)
	g.at.Store(now.Add(-time.Minute).Unix())
	_, err = g.verify(t, raw)
	require.ErrorIs(t, err, ErrNotYetValid)
}

func TestCacheFlushedWhenKeysChange(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 64)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	_, err := f.verify(t, raw)
	require.NoError(t, err)

	f.keys.set(t, testkit.Key(t, "ES256", "k2").Public()) // k1 removed
	_, err = f.verify(t, raw)
	require.ErrorIs(t, err, ErrUnknownKey)
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 32)
	for range 300 {
		raw, err := f.iss.Execution(uuid.New())
		require.NoError(t, err)
		_, err = f.verify(t, string(raw))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, f.v.cache.len(), 32)
	assert.Positive(t, f.v.cache.len())
}

func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	f := newCacheFixture(t, 128)
	var raws []string
	for range 20 {
		raw, err := f.iss.Execution(uuid.New())
		require.NoError(t, err)
		raws = append(raws, string(raw))
	}
	subjects := make(map[string]string, len(raws))
	for _, raw := range raws {
		c, err := f.verify(t, raw)
		require.NoError(t, err)
		subjects[raw] = c.Subject
	}
	var wg sync.WaitGroup
	var failures atomic.Int32
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				raw := raws[(g+i)%len(raws)]
				c, err := f.v.Verify(context.Background(), raw)
				if err != nil || c.Subject != subjects[raw] || c.Audience[0] != testAudience {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Less(t, f.keys.lookups.Load(), int32(16*200), "most verifications were hits")
}

func TestCacheSizeConfig(t *testing.T) {
	t.Parallel()
	keys := newFixture(t, "ES256", nil).v.keys
	_, err := NewVerifier(VerifierConfig{Keys: keys, Issuer: "i", Audience: []string{"a"}, CacheSize: -1})
	require.ErrorIs(t, err, ErrConfig)
}

// TestCacheHoldsItsSize: a cache sized for n tokens holds n live tokens,
// although hashing spreads them unevenly over its shards; it never holds
// many more.
func TestCacheHoldsItsSize(t *testing.T) {
	t.Parallel()
	claims := &Claims{}
	for _, size := range []int{1, 10, 64, 100, 1024, 5000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			c := newVerifiedCache(size)
			raws := make([]string, size)
			for i := range raws {
				raws[i] = fmt.Sprintf("token-%d", i)
				c.put(c.hash(raws[i]), raws[i], claims, 0)
			}
			for _, raw := range raws {
				got, ok := c.get(c.hash(raw), raw, 0)
				require.True(t, ok, "every live token is still cached")
				require.Same(t, claims, got)
			}
			for i := range 4 * size {
				raw := fmt.Sprintf("more-%d", i)
				c.put(c.hash(raw), raw, claims, 0)
			}
			shards := len(c.shards)
			share := (size + shards - 1) / shards
			bound := shards * (share + 5*int(math.Ceil(math.Sqrt(float64(share)))))
			assert.LessOrEqual(t, c.len(), bound)
			assert.LessOrEqual(t, c.len(), 2*size+10)
		})
	}
}

// TestCacheAdmitsWhenFull: with the cache full of other tokens, a token
// presented again and again still gets in.
func TestCacheAdmitsWhenFull(t *testing.T) {
	t.Parallel()
	c := newVerifiedCache(16)
	claims := &Claims{}
	for i := range 64 {
		raw := fmt.Sprintf("old-%d", i)
		c.put(c.hash(raw), raw, claims, 0)
	}
	require.Equal(t, 16, c.len())
	h := c.hash("hot")
	for range 200 { // one in admitWhenFull is taken in: (7/8)^200 ≈ 3e-12 to fail
		if _, ok := c.get(h, "hot", 0); ok {
			break
		}
		c.put(h, "hot", claims, 0)
	}
	_, ok := c.get(h, "hot", 0)
	assert.True(t, ok)
	assert.Equal(t, 16, c.len())
}

// len counts the entries of c.
func (c *verifiedCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
