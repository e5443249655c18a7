package jwks_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// t0 is where every test clock of this package starts.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newRing(t testing.TB, active *jwks.SigningKey, retire time.Duration, clock *authtest.Clock) *jwks.Keyring {
	t.Helper()
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: active, RetireAfter: retire, Now: clock.Now})
	require.NoError(t, err)
	return ring
}

func kids(keys []jwks.Key) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.ID())
	}
	return out
}

func TestNewKeyringRefuses(t *testing.T) {
	t.Parallel()
	_, err := jwks.NewKeyring(jwks.KeyringConfig{})
	require.ErrorIs(t, err, jwks.ErrConfig)
	_, err = jwks.NewKeyring(jwks.KeyringConfig{Active: &jwks.SigningKey{}})
	require.ErrorIs(t, err, jwks.ErrConfig)
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: testkit.Key(t, jwks.ES256, "a"), RetireAfter: -time.Second})
	require.ErrorIs(t, err, jwks.ErrConfig)
	assert.Nil(t, ring)
}

// The life of keys in a ring: published, active, retiring, dropped by the
// clock alone.
func TestKeyringLifecycle(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	a, b, c := testkit.Key(t, jwks.ES256, "a"), testkit.Key(t, jwks.ES256, "b"), testkit.Key(t, jwks.EdDSA, "c")
	ring := newRing(t, a, time.Hour, clock)
	ctx := t.Context()
	gen := ring.Generation()
	changed := func() bool {
		t.Helper()
		g := ring.Generation()
		defer func() { gen = g }()
		return g != gen
	}

	assert.Same(t, a, ring.Active())
	assert.Equal(t, []string{"a"}, kids(ring.PublicKeys()))

	require.NoError(t, ring.Publish(b))
	assert.True(t, changed(), "Publish")
	assert.Same(t, a, ring.Active(), "a published key does not sign")
	assert.Equal(t, []string{"a", "b"}, kids(ring.PublicKeys()))
	assert.True(t, ring.Holds("b"))
	got, err := ring.LookupKey(ctx, "b", jwks.ES256)
	require.NoError(t, err)
	assert.Equal(t, b.Public(), got)

	require.NoError(t, ring.Rotate(b))
	assert.True(t, changed(), "Rotate")
	assert.Same(t, b, ring.Active())
	assert.Equal(t, []string{"b", "a"}, kids(ring.PublicKeys()))

	clock.Advance(30 * time.Minute)
	require.NoError(t, ring.Rotate(c)) // not published before: published now
	assert.True(t, changed(), "Rotate")
	assert.Same(t, c, ring.Active())
	assert.Equal(t, []string{"c", "a", "b"}, kids(ring.PublicKeys()))

	clock.Advance(30*time.Minute - time.Nanosecond)
	assert.False(t, changed(), "nothing dropped yet")
	_, err = ring.LookupKey(ctx, "a", jwks.ES256)
	require.NoError(t, err, "a retires one hour after Rotate(b)")

	clock.Advance(time.Nanosecond)
	assert.True(t, changed(), "the clock alone drops a")
	_, err = ring.LookupKey(ctx, "a", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	assert.False(t, ring.Holds("a"))
	assert.Equal(t, []string{"c", "b"}, kids(ring.PublicKeys()))

	clock.Advance(30 * time.Minute)
	assert.False(t, ring.Holds("b"))
	assert.True(t, changed())
	assert.Equal(t, []string{"c"}, kids(ring.PublicKeys()))
	assert.True(t, ring.Holds("c"))
}

func TestKeyringDefaultRetireAfter(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	ring := newRing(t, testkit.Key(t, jwks.ES256, "a"), 0, clock)
	require.NoError(t, ring.Rotate(testkit.Key(t, jwks.ES256, "b")))

	clock.Advance(jwks.DefaultRetireAfter - time.Second)
	assert.True(t, ring.Holds("a"))
	clock.Advance(time.Second)
	assert.False(t, ring.Holds("a"))
	assert.Equal(t, 24*time.Hour+5*time.Minute, jwks.DefaultRetireAfter)
}

func TestKeyringRefusesDuplicates(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	a, b, c := testkit.Key(t, jwks.ES256, "a"), testkit.Key(t, jwks.ES256, "b"), testkit.Key(t, jwks.ES256, "c")
	ring := newRing(t, a, time.Hour, clock)
	require.NoError(t, ring.Publish(b))
	require.NoError(t, ring.Publish(c))
	require.NoError(t, ring.Rotate(c)) // a retires

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"publish the active kid", func() error { return ring.Publish(testkit.Key(t, jwks.ES256, "c")) }, jwks.ErrInvalidKID},
		{"publish a published kid", func() error { return ring.Publish(b) }, jwks.ErrInvalidKID},
		{"publish a retiring kid", func() error { return ring.Publish(a) }, jwks.ErrInvalidKID},
		{"publish nil", func() error { return ring.Publish(nil) }, jwks.ErrUnsupportedKey},
		{"rotate to the active key", func() error { return ring.Rotate(c) }, jwks.ErrInvalidKID},
		{"rotate to a retiring key", func() error { return ring.Rotate(a) }, jwks.ErrInvalidKID},
		{"rotate to another key under a published kid", func() error { return ring.Rotate(testkit.Key(t, jwks.ES256, "b")) }, jwks.ErrInvalidKID},
		{"rotate to nil", func() error { return ring.Rotate(nil) }, jwks.ErrUnsupportedKey},
	}
	gen := ring.Generation()
	for _, tc := range tests {
		require.ErrorIs(t, tc.op(), tc.wantErr, tc.name)
	}
	assert.Equal(t, gen, ring.Generation(), "failed calls change nothing")
	assert.Same(t, c, ring.Active())
	assert.Equal(t, []string{"c", "b", "a"}, kids(ring.PublicKeys()))
}

// A key read again from its file is a new value for the same key: rotating
// to it activates the published entry instead of failing or doubling it.
func TestKeyringRotateToRereadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := testkit.Key(t, jwks.ES256, "")
	require.NoError(t, jwks.WriteSigningKey(dir+"/b.pem", b))
	ring := newRing(t, testkit.Key(t, jwks.ES256, "a"), time.Hour, authtest.NewClock(t0))
	require.NoError(t, ring.Publish(b))

	again, err := jwks.ReadSigningKey(dir+"/b.pem", "", "")
	require.NoError(t, err)
	require.NoError(t, ring.Rotate(again))
	assert.Equal(t, b.ID(), ring.Active().ID())
	assert.Equal(t, []string{b.ID(), "a"}, kids(ring.PublicKeys()))
}

func TestKeyringLookupKidRules(t *testing.T) {
	t.Parallel()
	a, b := testkit.Key(t, jwks.ES256, "a"), testkit.Key(t, jwks.ES256, "b")
	h := testkit.Key(t, jwks.HS512, "h")
	ring := newRing(t, a, time.Hour, authtest.NewClock(t0))
	require.NoError(t, ring.Publish(h))
	ctx := t.Context()

	got, err := ring.LookupKey(ctx, "", jwks.ES256)
	require.NoError(t, err, "one key of the alg")
	assert.Equal(t, a.Public(), got)
	require.NoError(t, ring.Publish(b))
	_, err = ring.LookupKey(ctx, "", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKidRequired)
	_, err = ring.LookupKey(ctx, "a", jwks.ES384)
	require.ErrorIs(t, err, jwks.ErrAlgorithmMismatch)
	_, err = ring.LookupKey(ctx, "a", jwks.HS256)
	require.ErrorIs(t, err, jwks.ErrAlgorithmMismatch, "public key as HMAC secret")
	_, err = ring.LookupKey(ctx, "zz", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	got, err = ring.LookupKey(ctx, "h", jwks.HS512)
	require.NoError(t, err, "own HMAC tokens verify")
	assert.True(t, got.IsSymmetric())
	assert.Equal(t, []string{"a", "b"}, kids(ring.PublicKeys()), "HMAC never published")
}

func TestKeyringPublicKeysIsACopy(t *testing.T) {
	t.Parallel()
	ring := newRing(t, testkit.Key(t, jwks.ES256, "a"), time.Hour, authtest.NewClock(t0))
	keys := ring.PublicKeys()
	keys[0] = jwks.Key{}
	assert.Equal(t, []string{"a"}, kids(ring.PublicKeys()))
}

// tokenPair builds an issuer and a verifier over ring, both on clock. Every
// class lives ten minutes, so that a ring retiring keys after 15m or more
// serves the issuer.
func tokenPair(t testing.TB, ring *jwks.Keyring, clock *authtest.Clock) (*token.Issuer, *token.Verifier) {
	t.Helper()
	ttl := token.DefaultExecutionTTL
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: ring, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now,
		TTL: token.Lifetimes{Workload: ttl, Execution: ttl, Processor: ttl},
	})
	require.NoError(t, err)
	ver, err := token.NewVerifier(token.VerifierConfig{Keys: ring, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now})
	require.NoError(t, err)
	return iss, ver
}

// Many goroutines mint and verify while another rotates: every token
// verifies throughout, including tokens signed by keys retired since. Not
// parallel: it keeps every core busy, which would skew the package's
// latency measurements.
func TestKeyringRotationUnderLoad(t *testing.T) {
	clock := authtest.NewClock(t0)
	ring := newRing(t, testkit.Key(t, jwks.ES256, ""), time.Hour, clock)
	iss, ver := tokenPair(t, ring, clock)
	const rotations, workers = 20, 8
	next := make([]*jwks.SigningKey, rotations)
	for i := range next {
		next[i] = testkit.Key(t, []jwks.Algorithm{jwks.ES256, jwks.EdDSA}[i%2], "")
	}

	var verified, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			task := uuid.New()
			var earlier []token.Raw
			for {
				select {
				case <-stop:
					return
				default:
				}
				raw, err := iss.Execution(task)
				if !assert.NoError(t, err) {
					failed.Add(1)
					return
				}
				earlier = append(earlier, raw)
				for _, r := range []token.Raw{raw, earlier[len(earlier)/2]} {
					c, err := ver.Verify(t.Context(), string(r))
					if !assert.NoError(t, err) {
						failed.Add(1)
						return
					}
					assert.Equal(t, task.String(), c.Subject)
					verified.Add(1)
				}
			}
		})
	}
	for _, k := range next {
		require.NoError(t, ring.Publish(k))
		// Let the workers sign and verify with the ring in each state.
		for until := verified.Load() + 2*workers; verified.Load() < until && failed.Load() == 0; {
			runtime.Gosched()
		}
		require.NoError(t, ring.Rotate(k))
	}
	close(stop)
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.GreaterOrEqual(t, verified.Load(), int64(2*workers*rotations))
	assert.Len(t, ring.PublicKeys(), rotations+1, "every replaced key still published")
}

// After RetireAfter a retired key verifies nothing; until then its tokens
// verify.
func TestKeyringRetiredKeyStopsVerifying(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	old := testkit.Key(t, jwks.ES256, "old")
	ring := newRing(t, old, token.DefaultExecutionTTL+token.MaxLeeway, clock)
	iss, ver := tokenPair(t, ring, clock)
	raw, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	require.NoError(t, ring.Rotate(testkit.Key(t, jwks.ES256, "new")))

	clock.Advance(token.DefaultExecutionTTL - time.Second)
	c, err := ver.Verify(t.Context(), string(raw))
	require.NoError(t, err, "signed before the rotation, not expired")
	assert.Equal(t, "old", c.KeyID())

	clock.Advance(time.Second + token.MaxLeeway)
	_, err = ring.LookupKey(t.Context(), "old", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	_, err = ver.Verify(t.Context(), string(raw))
	require.ErrorIs(t, err, token.ErrUnknownKey)
	assert.False(t, iss.Holds("old"))
}

// Pre-publication: verifiers that fetch the JWKS see the next key before
// any token carries its kid.
func TestKeyringPrePublishedKeyServedBeforeItSigns(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	a, b := testkit.Key(t, jwks.ES256, "a"), testkit.Key(t, jwks.EdDSA, "b")
	ring := newRing(t, a, time.Hour, clock)
	iss, ver := tokenPair(t, ring, clock)
	jwksKIDs := func() []string {
		t.Helper()
		return setKIDs(fetchSet(t, jwks.Handler(ring, 0)))
	}
	signer := func() string {
		t.Helper()
		raw, err := iss.Workload(uuid.New())
		require.NoError(t, err)
		c, err := ver.Verify(t.Context(), string(raw))
		require.NoError(t, err)
		return c.KeyID()
	}

	require.NoError(t, ring.Publish(b))
	assert.Equal(t, []string{"a", "b"}, jwksKIDs())
	assert.Equal(t, "a", signer(), "published, not signing")
	require.NoError(t, ring.Rotate(b))
	assert.Equal(t, "b", signer())
	assert.Equal(t, []string{"b", "a"}, jwksKIDs())
}

// Remove is the emergency exit: a published or retiring key stops verifying
// at once, even for a token it signed that has not expired and that a
// verifier has cached as verified.
func TestKeyringRemove(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	old, cur, next := testkit.Key(t, jwks.ES256, "old"), testkit.Key(t, jwks.ES256, "cur"), testkit.Key(t, jwks.EdDSA, "next")
	ring := newRing(t, old, time.Hour, clock)
	iss, _ := tokenPair(t, ring, clock)
	ver, err := token.NewVerifier(token.VerifierConfig{Keys: ring, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now, CacheSize: 64})
	require.NoError(t, err)
	leaked, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	require.NoError(t, ring.Rotate(cur)) // old retires
	require.NoError(t, ring.Publish(next))
	_, err = ver.Verify(t.Context(), string(leaked))
	require.NoError(t, err, "a retiring key verifies; the token is now cached")

	tests := []struct {
		name     string
		kid      string
		wantErr  error
		wantKIDs []string
	}{
		{"the active key", "cur", jwks.ErrActiveKey, []string{"cur", "next", "old"}},
		{"an unknown kid", "zz", jwks.ErrUnknownKey, []string{"cur", "next", "old"}},
		{"a retiring key", "old", nil, []string{"cur", "next"}},
		{"a removed key again", "old", jwks.ErrUnknownKey, []string{"cur", "next"}},
		{"a published key", "next", nil, []string{"cur"}},
	}
	for _, tc := range tests {
		gen := ring.Generation()
		err := ring.Remove(tc.kid)
		if tc.wantErr != nil {
			require.ErrorIs(t, err, tc.wantErr, tc.name)
			assert.Equal(t, gen, ring.Generation(), "%s: a failed Remove changes nothing", tc.name)
		} else {
			require.NoError(t, err, tc.name)
			assert.NotEqual(t, gen, ring.Generation(), "%s: Generation changes", tc.name)
			assert.False(t, ring.Holds(tc.kid), tc.name)
		}
		assert.Equal(t, tc.wantKIDs, kids(ring.PublicKeys()), tc.name)
		assert.Same(t, cur, ring.Active(), tc.name)
	}

	_, err = ver.Verify(t.Context(), string(leaked))
	require.ErrorIs(t, err, token.ErrUnknownKey, "refused at once, the verified-token cache included")
	_, err = ring.LookupKey(t.Context(), "next", jwks.EdDSA)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	require.NoError(t, ring.Rotate(next), "a removed kid may come back")
}
