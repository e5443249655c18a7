package jwks_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// unionEnv is a server's own keyring plus a Cache of another component's
// JWK Set, joined in a Union, on one clock.
type unionEnv struct {
	clock  *authtest.Clock
	ring   *jwks.Keyring
	own    *jwks.SigningKey
	remote *testkit.KeyServer
	cache  *jwks.Cache
	union  *jwks.Union
}

func newUnionEnv(t *testing.T, remote ...jwks.Key) *unionEnv {
	t.Helper()
	e := &unionEnv{clock: authtest.NewClock(t0), own: testkit.Key(t, jwks.ES256, "self-7f3")}
	e.ring = newRing(t, e.own, time.Hour, e.clock)
	return e.join(t, e.ring, remote...)
}

// join makes the union of own and a Cache of remote.
func (e *unionEnv) join(t *testing.T, own jwks.Lookup, remote ...jwks.Key) *unionEnv {
	t.Helper()
	e.remote = testkit.NewKeyServer(t, remote...)
	var err error
	e.cache, err = jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs: []string{e.remote.URL}, Now: e.clock.Now, Logger: testkit.ErrorLogger(func(error) {}),
	})
	require.NoError(t, err)
	t.Cleanup(e.cache.Close)
	e.union = jwks.NewUnion(own, e.cache)
	return e
}

func (e *unionEnv) verify(t *testing.T, k *jwks.SigningKey) error {
	t.Helper()
	iss, err := token.NewIssuer(token.IssuerConfig{Keys: k, Issuer: "iss", Audience: []string{"aud"}, Now: e.clock.Now})
	require.NoError(t, err)
	raw, err := iss.Processor("p")
	require.NoError(t, err)
	v, err := token.NewVerifier(token.VerifierConfig{Keys: e.union, Issuer: "iss", Audience: []string{"aud"}, Now: e.clock.Now})
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), string(raw))
	return err
}

// A server trusts its own keys (a keyring, or a key directory) and another
// component's: tokens of both verify, and a token of its own never makes the
// Cache fetch, however long after the cooldown it comes.
func TestUnionOwnAndRemoteKeys(t *testing.T) {
	t.Parallel()
	for _, own := range []string{"keyring", "key directory"} {
		t.Run(own, func(t *testing.T) {
			t.Parallel()
			other := testkit.Key(t, jwks.EdDSA, "other")
			e := newUnionEnv(t, other.Public())
			if own == "key directory" {
				d := newDirEnv(t)
				e.own = d.a
				e.join(t, d.dir, other.Public())
			}
			testUnionOwnAndRemoteKeys(t, e, other)
		})
	}
}

func testUnionOwnAndRemoteKeys(t *testing.T, e *unionEnv, other *jwks.SigningKey) {
	fetched := e.remote.Hits.Load()

	e.clock.Advance(10 * time.Minute) // past the cooldown, within MaxStale: a miss would fetch
	require.NoError(t, e.verify(t, e.own))
	require.NoError(t, e.verify(t, other))
	assert.Equal(t, fetched, e.remote.Hits.Load(), "no fetch for a kid a source holds")

	next := testkit.Key(t, jwks.EdDSA, "next")
	e.remote.SetKeys(t, other.Public(), next.Public())
	require.NoError(t, e.verify(t, next), "an unknown kid is fetched by the Cache, as on its own")
	assert.Equal(t, fetched+1, e.remote.Hits.Load())

	require.ErrorIs(t, e.verify(t, testkit.Key(t, jwks.ES256, "stranger")), token.ErrUnknownKey)
}

// The same kid with two different keys fails closed for that kid, from
// whichever side the token comes; the same key on both sides is one key.
func TestUnionConflict(t *testing.T) {
	t.Parallel()
	clash := testkit.Key(t, jwks.ES256, "self-7f3") // the server's kid, another key
	e := newUnionEnv(t, clash.Public())

	for name, k := range map[string]*jwks.SigningKey{"own token": e.own, "remote token": clash} {
		err := e.verify(t, k)
		require.ErrorIs(t, err, token.ErrUnknownKey, name)
	}
	_, err := e.union.LookupKey(t.Context(), "self-7f3", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	require.ErrorIs(t, err, jwks.ErrInvalidKID, "a conflict says so")
	assert.NotContains(t, err.Error(), "self-7f3", "no kid in the error")
	assert.Empty(t, kids(e.union.PublicKeys()), "a conflicting kid is not published")

	e.remote.SetKeys(t, e.own.Public())
	require.NoError(t, e.cache.Refresh(t.Context()))
	require.NoError(t, e.verify(t, e.own), "the same key on both sides is one key")
	assert.Equal(t, []string{"self-7f3"}, kids(e.union.PublicKeys()))
}

func TestUnionLookupRules(t *testing.T) {
	t.Parallel()
	remoteES, remoteEd := testkit.Key(t, jwks.ES384, "r-es"), testkit.Key(t, jwks.EdDSA, "r-ed")
	e := newUnionEnv(t, remoteES.Public(), remoteEd.Public())
	tests := []struct {
		name    string
		kid     string
		alg     jwks.Algorithm
		want    string
		wantErr error
	}{
		{name: "own kid", kid: "self-7f3", alg: jwks.ES256, want: "self-7f3"},
		{name: "remote kid", kid: "r-ed", alg: jwks.EdDSA, want: "r-ed"},
		{name: "own kid, other alg", kid: "self-7f3", alg: jwks.ES384, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "remote kid, other alg", kid: "r-es", alg: jwks.ES256, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "unknown kid", kid: "zz", alg: jwks.ES256, wantErr: jwks.ErrUnknownKey},
		{name: "no kid, the only key of its alg (own)", alg: jwks.ES256, want: "self-7f3"},
		{name: "no kid, the only key of its alg (remote)", alg: jwks.ES384, want: "r-es"},
		{name: "no kid, no key of its alg", alg: jwks.RS256, wantErr: jwks.ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := e.union.LookupKey(t.Context(), tc.kid, tc.alg)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, k.ID())
		})
	}

	// A second ES256 key on the other side: a token without kid is ambiguous.
	e.remote.SetKeys(t, remoteES.Public(), remoteEd.Public(), testkit.Key(t, jwks.ES256, "r-es256").Public())
	require.NoError(t, e.cache.Refresh(t.Context()))
	_, err := e.union.LookupKey(t.Context(), "", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKidRequired)
}

// A kid that no source holds while one of them cannot be read is not known
// to be unknown: 503, not 401.
func TestUnionUnavailableSource(t *testing.T) {
	t.Parallel()
	own := testkit.Key(t, jwks.ES256, "self-7f3")
	down := testkit.NewKeyServer(t)
	down.SetHandler(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	cache, err := jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs: []string{down.URL}, StartWithoutKeys: true, Logger: testkit.ErrorLogger(func(error) {}),
	})
	require.NoError(t, err)
	t.Cleanup(cache.Close)
	u := jwks.NewUnion(newRing(t, own, time.Hour, authtest.NewClock(t0)), cache)

	k, err := u.LookupKey(t.Context(), "self-7f3", jwks.ES256)
	require.NoError(t, err, "own keys verify while the other side is down")
	assert.Equal(t, "self-7f3", k.ID())
	_, err = u.LookupKey(t.Context(), "other", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
}

// A Lookup of another kind is asked only when no source of this package
// holds the kid, and what it returns is checked against what they hold by
// then.
func TestUnionForeignLookup(t *testing.T) {
	t.Parallel()
	own := testkit.Key(t, jwks.ES256, "self-7f3")
	foreignKey := testkit.Key(t, jwks.EdDSA, "foreign").Public()
	var calls atomic.Int64
	foreign := jwks.LookupFunc(func(_ context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
		calls.Add(1)
		if kid == foreignKey.ID() {
			return foreignKey, nil
		}
		return jwks.Key{}, jwks.ErrUnknownKey
	})
	static, err := jwks.NewStatic(own.Public())
	require.NoError(t, err)
	u := jwks.NewUnion(static, foreign)

	_, err = u.LookupKey(t.Context(), "self-7f3", jwks.ES256)
	require.NoError(t, err)
	assert.Zero(t, calls.Load(), "not asked for a kid a holder has")
	k, err := u.LookupKey(t.Context(), "foreign", jwks.EdDSA)
	require.NoError(t, err)
	assert.Equal(t, foreignKey, k)
	assert.Equal(t, int64(1), calls.Load())

	// The keyring gains the kid, with another key, while the foreign source
	// is being asked: a conflict, not the foreign key.
	ring := newRing(t, own, time.Hour, authtest.NewClock(t0))
	late, lateElsewhere := testkit.Key(t, jwks.ES256, "late"), testkit.Key(t, jwks.ES256, "late")
	racing := jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) {
		if err := ring.Publish(late); err != nil {
			return jwks.Key{}, err
		}
		return lateElsewhere.Public(), nil
	})
	_, err = jwks.NewUnion(ring, racing).LookupKey(t.Context(), "late", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrInvalidKID)
}

func TestUnionGeneration(t *testing.T) {
	t.Parallel()
	e := newUnionEnv(t, testkit.Key(t, jwks.EdDSA, "other").Public())
	gen := e.union.Generation()

	require.NoError(t, e.ring.Publish(testkit.Key(t, jwks.ES256, "next")))
	assert.NotEqual(t, gen, e.union.Generation(), "own keys changed")
	gen = e.union.Generation()

	require.NoError(t, e.cache.Refresh(t.Context()))
	assert.Equal(t, gen, e.union.Generation(), "same remote keys")
	e.remote.SetKeys(t, testkit.Key(t, jwks.EdDSA, "other2").Public())
	require.NoError(t, e.cache.Refresh(t.Context()))
	assert.NotEqual(t, gen, e.union.Generation(), "remote keys changed")
}

func TestNewUnionPanics(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "jwks: NewUnion without sources", func() { jwks.NewUnion() })
	assert.PanicsWithValue(t, "jwks: NewUnion with a nil source", func() { jwks.NewUnion(nil) })
}

// A Union lists its keys for the verifier's checks: complete when every
// source is, so an allow-list that no key meets is refused at construction.
func TestUnionListKeys(t *testing.T) {
	t.Parallel()
	es, ed := testkit.Key(t, jwks.ES256, "es"), testkit.Key(t, jwks.EdDSA, "ed")
	a, err := jwks.NewStatic(es.Public())
	require.NoError(t, err)
	b, err := jwks.NewStatic(es.Public(), ed.Public())
	require.NoError(t, err)
	keys, complete := jwks.NewUnion(a, b).ListKeys()
	assert.True(t, complete)
	assert.Equal(t, []string{"es", "ed"}, kids(keys), "each key once")
	_, err = token.NewVerifier(token.VerifierConfig{
		Keys: jwks.NewUnion(a, b), Issuer: "iss", Audience: []string{"aud"}, Algorithms: []jwks.Algorithm{jwks.RS256},
	})
	require.ErrorIs(t, err, token.ErrConfig)

	foreign := jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) { return jwks.Key{}, jwks.ErrUnknownKey })
	_, complete = jwks.NewUnion(a, foreign).ListKeys()
	assert.False(t, complete, "a Lookup that cannot list makes the list incomplete")
}
