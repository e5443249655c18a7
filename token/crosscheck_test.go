package token

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// TestNewIssuerRetireAfter: a keyring that drops rotated-out keys before
// the tokens they signed have expired (at the largest leeway) fails NewIssuer.
func TestNewIssuerRetireAfter(t *testing.T) {
	t.Parallel()
	hour := func(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
	tests := []struct {
		name    string
		retire  time.Duration // 0: jwks.DefaultRetireAfter
		ttl     Lifetimes
		plain   bool // a single SigningKey, which never retires
		wantErr error
	}{
		{name: "defaults"},
		{name: "default lifetimes, 24h", retire: 24 * time.Hour, wantErr: ErrConfig},
		{name: "default lifetimes, one second short", retire: jwks.DefaultRetireAfter - time.Second, wantErr: ErrConfig},
		{name: "48h workload, default keyring", ttl: Lifetimes{Workload: 48 * time.Hour}, wantErr: ErrConfig},
		{name: "48h workload, keyring 48h5m", retire: 48*time.Hour + MaxLeeway, ttl: Lifetimes{Workload: 48 * time.Hour}},
		{name: "short lifetimes, short keyring", retire: hour(1), ttl: Lifetimes{Workload: 55 * time.Minute, Execution: 10 * time.Minute, Processor: 55 * time.Minute}},
		{name: "one lifetime too long", retire: hour(1), ttl: Lifetimes{Workload: 56 * time.Minute, Execution: 10 * time.Minute, Processor: 55 * time.Minute}, wantErr: ErrConfig},
		{name: "zero field means its 24h default", retire: hour(1), ttl: Lifetimes{Workload: 55 * time.Minute, Execution: 10 * time.Minute}, wantErr: ErrConfig},
		{name: "a single key never retires", plain: true, ttl: Lifetimes{Workload: 72 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key := testkit.Key(t, jwks.ES256, "k1")
			var keys jwks.SigningKeys = key
			if !tc.plain {
				ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: key, RetireAfter: tc.retire})
				require.NoError(t, err)
				keys = ring
			}

			iss, err := NewIssuer(IssuerConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}, TTL: tc.ttl})

			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, iss)
				return
			}
			require.NoError(t, err)
		})
	}
}

// TestKeyringRetireAfterDefault: the accessor reports the value in force.
func TestKeyringRetireAfterDefault(t *testing.T) {
	t.Parallel()
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: testkit.Key(t, jwks.ES256, "k1")})
	require.NoError(t, err)
	assert.Equal(t, jwks.DefaultRetireAfter, ring.RetireAfter())
}

// jwksServer serves keys as a JWK Set and returns its URL.
func jwksServer(t *testing.T, keys ...jwks.Key) string {
	t.Helper()
	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	srv := httptest.NewServer(jwks.Handler(st, 0))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestNewVerifierAlgorithmsMatchKeys: an allow-list that no key of a fixed
// key set is bound to would reject every token; NewVerifier refuses it. A
// set that may change (a Cache with URLs) or cannot be listed is not checked.
func TestNewVerifierAlgorithmsMatchKeys(t *testing.T) {
	t.Parallel()
	es := testkit.Key(t, jwks.ES256, "es")
	ed := testkit.Key(t, jwks.EdDSA, "ed")
	hs := testkit.Key(t, jwks.HS256, "hs")
	static := func(keys ...jwks.Key) func(t *testing.T) jwks.Lookup {
		return func(t *testing.T) jwks.Lookup {
			st, err := jwks.NewStatic(keys...)
			require.NoError(t, err)
			return st
		}
	}
	ring := func(publish *jwks.SigningKey) func(t *testing.T) jwks.Lookup {
		return func(t *testing.T) jwks.Lookup {
			r, err := jwks.NewKeyring(jwks.KeyringConfig{Active: es})
			require.NoError(t, err)
			if publish != nil {
				require.NoError(t, r.Publish(publish))
			}
			return r
		}
	}
	cache := func(remote bool) func(t *testing.T) jwks.Lookup {
		return func(t *testing.T) jwks.Lookup {
			cfg := jwks.CacheConfig{Keys: []jwks.Key{es.Public()}}
			if remote {
				cfg = jwks.CacheConfig{URLs: []string{jwksServer(t, es.Public())}}
			}
			c, err := jwks.NewCache(t.Context(), cfg)
			require.NoError(t, err)
			t.Cleanup(c.Close)
			return c
		}
	}
	tests := []struct {
		name    string
		keys    func(t *testing.T) jwks.Lookup
		algs    []jwks.Algorithm
		wantErr error
	}{
		{name: "ES256 key, default list", keys: static(es.Public())},
		{name: "ES256 key, RS256 only", keys: static(es.Public()), algs: []jwks.Algorithm{jwks.RS256}, wantErr: ErrConfig},
		{name: "HMAC key, default list without HS256", keys: static(hs.Public()), wantErr: ErrConfig},
		{name: "HMAC key, HS256 listed", keys: static(hs.Public()), algs: []jwks.Algorithm{jwks.HS256}},
		{name: "two keys, one allowed", keys: static(es.Public(), ed.Public()), algs: []jwks.Algorithm{jwks.EdDSA}},
		{name: "no key at all", keys: static(), wantErr: ErrConfig},
		{name: "keyring ES256, EdDSA only", keys: ring(nil), algs: []jwks.Algorithm{jwks.EdDSA}, wantErr: ErrConfig},
		{name: "keyring with a published EdDSA key, EdDSA only", keys: ring(ed), algs: []jwks.Algorithm{jwks.EdDSA}},
		{name: "keyring with an HMAC key, HS256 listed", keys: ring(hs), algs: []jwks.Algorithm{jwks.HS256}},
		{name: "cache of local keys only, RS256 only", keys: cache(false), algs: []jwks.Algorithm{jwks.RS256}, wantErr: ErrConfig},
		{name: "cache of local keys only, default list", keys: cache(false)},
		{name: "cache of a remote set that may change, RS256 only", keys: cache(true), algs: []jwks.Algorithm{jwks.RS256}},
		{name: "a lookup that cannot list its keys", algs: []jwks.Algorithm{jwks.RS256}, keys: func(*testing.T) jwks.Lookup {
			return jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) { return es.Public(), nil })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(VerifierConfig{
				Keys: tc.keys(t), Issuer: testIssuer, Audience: []string{testAudience}, Algorithms: tc.algs,
			})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, v)
				return
			}
			require.NoError(t, err)
		})
	}
}

// TestCheckLifetimes: CheckLifetimes fails exactly when the verifier would
// reject a token of some class that the issuer mints, for its lifetime.
func TestCheckLifetimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ttl     Lifetimes // the issuer's
		max     Lifetimes // the verifier's
		wantErr error
	}{
		{name: "defaults on both sides"},
		{name: "shorter lifetimes", ttl: Lifetimes{Workload: time.Hour, Execution: time.Minute, Processor: time.Hour}},
		{name: "20m execution, default verifier", ttl: Lifetimes{Execution: 20 * time.Minute}, wantErr: ErrConfig},
		{name: "20m execution, verifier accepts 20m", ttl: Lifetimes{Execution: 20 * time.Minute}, max: Lifetimes{Execution: 20 * time.Minute}},
		{name: "48h workload, default verifier", ttl: Lifetimes{Workload: 48 * time.Hour}, wantErr: ErrConfig},
		{name: "default issuer, verifier narrowed to 5m", max: Lifetimes{Execution: 5 * time.Minute}, wantErr: ErrConfig},
		{name: "processor one second over", ttl: Lifetimes{Processor: DefaultProcessorTTL + time.Second}, wantErr: ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key := testkit.Key(t, jwks.ES256, "k1")
			keys, err := jwks.NewStatic(key.Public())
			require.NoError(t, err)
			iss, err := NewIssuer(IssuerConfig{Keys: key, Issuer: testIssuer, Audience: []string{testAudience}, TTL: tc.ttl, Now: clock})
			require.NoError(t, err)
			v, err := NewVerifier(VerifierConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}, MaxLifetime: tc.max, Now: clock})
			require.NoError(t, err)

			err = CheckLifetimes(iss, v)

			// What the check stands for: every class the issuer mints verifies.
			rejected := false
			for _, class := range scope.Classes() {
				sub := uuid.NewString()
				raw, merr := iss.Mint(Claims{Subject: sub, Scope: scope.Set{class}})
				require.NoError(t, merr)
				if _, verr := v.Verify(t.Context(), string(raw)); verr != nil {
					require.ErrorIs(t, verr, ErrLifetime)
					rejected = true
				}
			}
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.True(t, rejected, "the verifier does reject a minted token")
				return
			}
			require.NoError(t, err)
			assert.False(t, rejected)
		})
	}
}
