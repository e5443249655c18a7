package jwks_test

import (
	"context"
	"crypto/elliptic"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

func TestStaticLookup(t *testing.T) {
	t.Parallel()
	a := testkit.Key(t, jwks.ES256, "a").Public()
	b := testkit.Key(t, jwks.ES256, "b").Public()
	c := testkit.Key(t, jwks.EdDSA, "c").Public()
	h := mustKey(t, "h", jwks.HS256, secretOf(32))
	set, err := jwks.NewStatic(a, b, c, h)
	require.NoError(t, err)
	tests := []struct {
		name    string
		kid     string
		alg     jwks.Algorithm
		want    jwks.Key
		wantErr error
	}{
		{name: "kid and its alg", kid: "a", alg: jwks.ES256, want: a},
		{name: "other kid", kid: "b", alg: jwks.ES256, want: b},
		{name: "kid with another EC alg", kid: "a", alg: jwks.ES384, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "kid with EdDSA", kid: "a", alg: jwks.EdDSA, wantErr: jwks.ErrAlgorithmMismatch},
		// The classic confusion: a public key used as an HMAC secret.
		{name: "asymmetric kid with HS256", kid: "c", alg: jwks.HS256, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "HMAC kid with ES256", kid: "h", alg: jwks.ES256, wantErr: jwks.ErrAlgorithmMismatch},
		{name: "unknown kid", kid: "z", alg: jwks.ES256, wantErr: jwks.ErrUnknownKey},
		{name: "kid differs in case", kid: "A", alg: jwks.ES256, wantErr: jwks.ErrUnknownKey},
		{name: "no kid, one key of alg", alg: jwks.EdDSA, want: c},
		{name: "no kid, several keys of alg", alg: jwks.ES256, wantErr: jwks.ErrKidRequired},
		{name: "no kid, no key of alg", alg: jwks.RS256, wantErr: jwks.ErrUnknownKey},
		{name: "no kid, none", alg: "none", wantErr: jwks.ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := set.LookupKey(t.Context(), tc.kid, tc.alg)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, jwks.Key{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestStaticSingleKeyWithoutKID(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "", "", &ecKey(t, elliptic.P256()).PublicKey)
	set, err := jwks.NewStatic(k)
	require.NoError(t, err)

	got, err := set.LookupKey(t.Context(), "", jwks.ES256)
	require.NoError(t, err)
	assert.Equal(t, k, got)
	_, err = set.LookupKey(t.Context(), "x", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	_, err = set.LookupKey(t.Context(), "", jwks.ES384)
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
}

func TestNewStaticRefuses(t *testing.T) {
	t.Parallel()
	a := testkit.Key(t, jwks.ES256, "a").Public()
	a2 := testkit.Key(t, jwks.EdDSA, "a").Public()
	anon := mustKey(t, "", "", &ecKey(t, elliptic.P256()).PublicKey)
	tests := []struct {
		name    string
		keys    []jwks.Key
		wantErr error
	}{
		{"duplicate kid", []jwks.Key{a, a2}, jwks.ErrInvalidKID},
		{"key without kid among several", []jwks.Key{a, anon}, jwks.ErrInvalidKID},
		{"zero key", []jwks.Key{{}}, jwks.ErrUnsupportedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := jwks.NewStatic(tc.keys...)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, set)
		})
	}
}

func TestStaticKeys(t *testing.T) {
	t.Parallel()
	a := testkit.Key(t, jwks.ES256, "a").Public()
	h := mustKey(t, "h", jwks.HS256, secretOf(32))
	in := []jwks.Key{h, a}
	set, err := jwks.NewStatic(in...)
	require.NoError(t, err)
	in[1] = h // NewStatic copied the slice

	keys := set.Keys()
	assert.Equal(t, []jwks.Key{h, a}, keys)
	keys[0] = a
	assert.Equal(t, []jwks.Key{h, a}, set.Keys(), "Keys returns a copy")
	assert.Equal(t, []jwks.Key{a}, set.PublicKeys(), "HMAC is never published")
	assert.Equal(t, uint64(0), set.Generation())
}

// BenchmarkStaticLookupKey looks up every kid of a set in turn, with
// thumbprint kids as NewSigningKey makes them: the cost of finding a key
// by kid as the set grows.
func BenchmarkStaticLookupKey(b *testing.B) {
	for _, n := range []int{1, 10, 1000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := make([]jwks.Key, n)
			kids := make([]string, n)
			for i := range keys {
				k, err := jwks.Generate(jwks.EdDSA)
				require.NoError(b, err)
				keys[i], kids[i] = k.Public(), k.ID()
			}
			set, err := jwks.NewStatic(keys...)
			require.NoError(b, err)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := set.LookupKey(ctx, kids[i%n], jwks.EdDSA); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
