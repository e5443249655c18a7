package jwks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// jwkPrivateMembers are the JWK members that carry private material (RFC 7518
// §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var jwkPrivateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// marshalMembers encodes k and decodes the JWK into its members.
func marshalMembers(t testing.TB, k jwks.Key) map[string]string {
	t.Helper()
	data, err := json.Marshal(k)
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func decodeB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestMarshalJSONMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     *jwks.SigningKey
		members []string
		kty     string
		crv     string
		size    int // bytes of each coordinate
	}{
		{"P-256", testkit.Key(t, jwks.ES256, "e1"), []string{"alg", "crv", "kid", "kty", "use", "x", "y"}, "EC", "P-256", 32},
		{"P-384", testkit.Key(t, jwks.ES384, "e2"), []string{"alg", "crv", "kid", "kty", "use", "x", "y"}, "EC", "P-384", 48},
		{"P-521", testkit.Key(t, jwks.ES512, "e3"), []string{"alg", "crv", "kid", "kty", "use", "x", "y"}, "EC", "P-521", 66},
		{"Ed25519", testkit.Key(t, jwks.EdDSA, "o1"), []string{"alg", "crv", "kid", "kty", "use", "x"}, "OKP", "Ed25519", 32},
		{"RSA", mustSigningKey(t, "r1", jwks.PS256, rsaKey(t)), []string{"alg", "e", "kid", "kty", "n", "use"}, "RSA", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := marshalMembers(t, tc.key.Public())
			assert.Equal(t, tc.members, slices.Sorted(maps.Keys(m)))
			assert.Equal(t, tc.kty, m["kty"])
			assert.Equal(t, "sig", m["use"])
			assert.Equal(t, string(tc.key.Algorithm()), m["alg"])
			assert.Equal(t, tc.key.ID(), m["kid"])
			if tc.crv != "" {
				assert.Equal(t, tc.crv, m["crv"])
				assert.Len(t, decodeB64(t, m["x"]), tc.size)
			}
			if tc.kty == "EC" {
				assert.Len(t, decodeB64(t, m["y"]), tc.size)
			}
			if tc.kty == "RSA" {
				n := decodeB64(t, m["n"])
				assert.NotZero(t, n[0], "no leading zero")
				assert.Len(t, n, 256)
				assert.Equal(t, "AQAB", m["e"])
			}
		})
	}
}

func TestMarshalJSONWithoutKID(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "", "", &ecKey(t, elliptic.P256()).PublicKey)
	m := marshalMembers(t, k)
	assert.NotContains(t, m, "kid")
	assert.Equal(t, string(jwks.ES256), m["alg"])
}

// leadingZeroKey returns the P-256 key with the smallest scalar whose x (or
// y) coordinate starts with a zero byte, which a careless encoder drops.
func leadingZeroKey(t testing.TB, coordinate func(k *ecdsa.PublicKey) *big.Int) *ecdsa.PrivateKey {
	t.Helper()
	for d := int64(1); d < 1<<20; d++ {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), big.NewInt(d).FillBytes(make([]byte, 32)))
		require.NoError(t, err)
		if coordinate(&k.PublicKey).BitLen() <= 248 {
			return k
		}
	}
	t.Fatal("no key found")
	return nil
}

// RFC 7518 §6.2.1.2: coordinates are the full field length, even when the
// value has leading zero bytes.
func TestMarshalJSONKeepsLeadingZeros(t *testing.T) {
	t.Parallel()
	coords := map[string]func(k *ecdsa.PublicKey) *big.Int{
		"x": func(k *ecdsa.PublicKey) *big.Int { return k.X },
		"y": func(k *ecdsa.PublicKey) *big.Int { return k.Y },
	}
	for name, coordinate := range coords {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			priv := leadingZeroKey(t, coordinate)
			m := marshalMembers(t, mustKey(t, "z", "", priv))
			b := decodeB64(t, m[name])
			require.Len(t, b, 32)
			assert.Zero(t, b[0])
			assert.Equal(t, coordinate(&priv.PublicKey), new(big.Int).SetBytes(b))
		})
	}
}

func TestMarshalJSONRSAExponent(t *testing.T) {
	t.Parallel()
	rk := rsaKey(t)
	m := marshalMembers(t, mustKey(t, "r", "", &rsa.PublicKey{N: rk.N, E: 3}))
	assert.Equal(t, "Aw", m["e"])
}

// Known answers: the public JWKs of RFC 7515 A.2 and A.3, RFC 7638 §3.1 and
// RFC 8037 A.2, rebuilt from their key material, reproduce the published
// members; the private members of the vectors never appear.
func TestMarshalJSONVectors(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	a3 := v.RFC7515["A.3"].JWK
	ecPriv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), decodeB64(t, a3.D))
	require.NoError(t, err)
	a4 := v.RFC7515["A.4"].JWK
	p521, err := ecdsa.ParseRawPrivateKey(elliptic.P521(), decodeB64(t, a4.D))
	require.NoError(t, err)
	ed := vectorEd25519(t, v)
	tests := []struct {
		name   string
		key    any
		want   map[string]string
		secret string // a private member of the vector
	}{
		{"RFC 7515 A.3 public", vectorEC(t, a3), map[string]string{"kty": "EC", "crv": "P-256", "x": a3.X, "y": a3.Y}, ""},
		{"RFC 7515 A.3 private", ecPriv, map[string]string{"kty": "EC", "crv": "P-256", "x": a3.X, "y": a3.Y}, a3.D},
		{"RFC 7515 A.4 private", p521, map[string]string{"kty": "EC", "crv": "P-521", "x": a4.X, "y": a4.Y}, a4.D},
		{"RFC 7515 A.2", vectorRSA(t, v.RFC7515["A.2"].JWK), map[string]string{"kty": "RSA", "n": v.RFC7515["A.2"].JWK.N, "e": "AQAB"}, ""},
		{"RFC 7638 3.1", vectorRSA(t, v.RFC7638.JWK), map[string]string{"kty": "RSA", "n": v.RFC7638.JWK.N, "e": v.RFC7638.JWK.E}, ""},
		{"RFC 8037 A.2", ed, map[string]string{"kty": "OKP", "crv": "Ed25519", "x": v.RFC8037.PublicJWK.X}, v.RFC8037.PrivateD},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := json.Marshal(mustKey(t, "v", "", tc.key))
			require.NoError(t, err)
			var m map[string]string
			require.NoError(t, json.Unmarshal(data, &m))
			for name, want := range tc.want {
				assert.Equal(t, want, m[name], name)
			}
			for _, p := range jwkPrivateMembers {
				assert.NotContains(t, m, p)
			}
			if tc.secret != "" {
				assert.NotContains(t, string(data), tc.secret)
			}
		})
	}
}

func TestMarshalJSONRefuses(t *testing.T) {
	t.Parallel()
	secret := secretOf(32)
	h := mustKey(t, "h", jwks.HS256, secret)
	for name, k := range map[string]jwks.Key{"HMAC": h, "zero": {}} {
		data, err := k.MarshalJSON()
		require.ErrorIs(t, err, jwks.ErrUnsupportedKey, name)
		assert.Nil(t, data)
		assert.NotContains(t, err.Error(), base64.RawURLEncoding.EncodeToString(secret[:12]))
	}
	_, err := json.Marshal(struct{ K jwks.Key }{h})
	require.ErrorIs(t, err, jwks.ErrUnsupportedKey, "through encoding/json")
}

func TestMarshalSet(t *testing.T) {
	t.Parallel()
	a := testkit.Key(t, jwks.ES256, "a").Public()
	b := testkit.Key(t, jwks.EdDSA, "b").Public()
	r := mustSigningKey(t, "r", "", rsaKey(t)).Public()

	data, err := jwks.MarshalSet(b, a, r)
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(data, &set))
	require.Len(t, set.Keys, 3)
	var kids []any
	for _, m := range set.Keys {
		kids = append(kids, m["kid"])
		for _, p := range jwkPrivateMembers {
			assert.NotContains(t, m, p)
		}
	}
	assert.Equal(t, []any{"b", "a", "r"}, kids, "order kept")

	empty, err := jwks.MarshalSet()
	require.NoError(t, err)
	assert.JSONEq(t, `{"keys":[]}`, string(empty))
}

func TestMarshalSetRefuses(t *testing.T) {
	t.Parallel()
	a := testkit.Key(t, jwks.ES256, "a").Public()
	a2 := testkit.Key(t, jwks.ES384, "a").Public()
	h := mustKey(t, "h", jwks.HS512, secretOf(64))
	tests := []struct {
		name    string
		keys    []jwks.Key
		wantErr error
	}{
		{"HMAC among others", []jwks.Key{a, h}, jwks.ErrUnsupportedKey},
		{"zero key", []jwks.Key{a, {}}, jwks.ErrUnsupportedKey},
		{"duplicate kid", []jwks.Key{a, a2}, jwks.ErrInvalidKID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := jwks.MarshalSet(tc.keys...)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, data)
			assert.NotContains(t, err.Error(), string(secretOf(64)[:20]))
		})
	}
}
