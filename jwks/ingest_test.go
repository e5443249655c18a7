package jwks_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// publicJWK returns the JWK members of pub as jwkset writes them, plus extra.
func publicJWK(t testing.TB, pub any, extra map[string]any) map[string]any {
	t.Helper()
	k, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{})
	require.NoError(t, err)
	raw, err := json.Marshal(k.Marshal())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "alg") // jwkset names EdDSA itself; tests choose
	for name, v := range extra {
		m[name] = v
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestParseKeyBindsAndVerifies(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	digest := sha256.Sum256([]byte("signed"))

	tests := []struct {
		name    string
		jwk     map[string]any
		wantAlg jwks.Algorithm
		verify  func(t *testing.T, material any)
	}{
		{
			name: "EC without alg derives ES384", jwk: publicJWK(t, &ec.PublicKey, map[string]any{"kid": "a"}), wantAlg: jwks.ES384,
			verify: func(t *testing.T, material any) {
				h := sha256.Sum256([]byte("x"))
				sig, err := ecdsa.SignASN1(rand.Reader, ec, h[:])
				require.NoError(t, err)
				assert.True(t, ecdsa.VerifyASN1(material.(*ecdsa.PublicKey), h[:], sig))
			},
		},
		{
			name: "RSA with alg PS256 keeps it", jwk: publicJWK(t, &rsaKey.PublicKey, map[string]any{"kid": "b", "alg": "PS256", "use": "sig"}), wantAlg: jwks.PS256,
			verify: func(t *testing.T, material any) {
				sig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, digest[:])
				require.NoError(t, err)
				assert.NoError(t, rsa.VerifyPKCS1v15(material.(*rsa.PublicKey), crypto.SHA256, digest[:], sig))
			},
		},
		{
			name: "Ed25519 with key_ops verify", jwk: publicJWK(t, edPub, map[string]any{"key_ops": []string{"verify"}}), wantAlg: jwks.EdDSA,
			verify: func(t *testing.T, material any) {
				assert.True(t, ed25519.Verify(material.(ed25519.PublicKey), []byte("m"), ed25519.Sign(edPriv, []byte("m"))))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := jwks.ParseKey(mustJSON(t, tc.jwk))
			require.NoError(t, err)
			assert.Equal(t, tc.wantAlg, k.Algorithm())
			assert.Equal(t, tc.jwk["kid"] != nil, k.ID() != "")
			tc.verify(t, k.Material())
		})
	}
}

func TestParseKeyRejects(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	good := publicJWK(t, &ec.PublicKey, map[string]any{"kid": "k"})
	with := func(name string, v any) []byte {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		if v == nil {
			delete(m, name)
		} else {
			m[name] = v
		}
		return mustJSON(t, m)
	}

	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"not JSON", []byte(`<html>`), jwks.ErrUnsupportedKey},
		{"array", []byte(`[]`), jwks.ErrUnsupportedKey},
		{"trailing data", append(with("use", "sig"), `{}`...), jwks.ErrUnsupportedKey},
		{"kty missing", with("kty", nil), jwks.ErrUnsupportedKey},
		{"kty not a string", with("kty", 1), jwks.ErrUnsupportedKey},
		{"kty case variant", with("kty", "ec"), jwks.ErrUnsupportedKey},
		{"use null", with("use", json.RawMessage(`null`)), jwks.ErrUnsupportedKey},
		{"use empty", with("use", ""), jwks.ErrUnsupportedKey},
		{"key_ops not an array", with("key_ops", "verify"), jwks.ErrUnsupportedKey},
		{"key_ops empty", with("key_ops", []string{}), jwks.ErrUnsupportedKey},
		{"private member k", with("k", "AAAA"), jwks.ErrUnsupportedKey},
		{"private member d empty", with("d", ""), jwks.ErrUnsupportedKey},
		{"alg RSA on EC", with("alg", "RS256"), jwks.ErrKeyMismatch},
		{"alg unknown", with("alg", "ES256K"), jwks.ErrUnsupportedAlgorithm},
		{"alg case variant", with("alg", "es256"), jwks.ErrUnsupportedAlgorithm},
		{"kid empty", with("kid", ""), jwks.ErrInvalidKID},
		{"kid too long", with("kid", strings.Repeat("a", 257)), jwks.ErrInvalidKID},
		{"kid not a string", with("kid", 7), jwks.ErrUnsupportedKey},
		{"crv names another curve", with("crv", "P-384"), jwks.ErrUnsupportedKey},
		{"x with padding char inside", with("x", "AA=A"), jwks.ErrUnsupportedKey},
		{"x empty", with("x", ""), jwks.ErrUnsupportedKey},
		{"x zero, off the curve", with("x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), jwks.ErrUnsupportedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwks.ParseKey(tc.data)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Empty(t, k.Algorithm())
		})
	}
}

// TestParseSetMixed reads a JWK Set with good keys and one key of each bad
// kind, and expects exactly the good ones back, each bad one reported in
// document order with the reason.
func TestParseSetMixed(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/ingest/mixed.json")
	require.NoError(t, err)

	// Document order; wantErr nil means the key is kept.
	want := []struct {
		kid     string
		wantErr error
	}{
		{"ec256", nil},
		{"ec384", nil},
		{"ec521", nil},
		{"rsa2048", nil},
		{"rsa-pss", nil},
		{"ed25519", nil},
		{"x5u-ignored", nil},
		{"oct", jwks.ErrUnsupportedKey},
		{"use-enc", jwks.ErrUnsupportedKey},
		{"ops-sign", jwks.ErrUnsupportedKey},
		{"rsa1024", jwks.ErrWeakKey},
		{"p256-as-es384", jwks.ErrKeyMismatch},
		{"rsa-as-es256", jwks.ErrKeyMismatch},
		{"ec-as-hs256", jwks.ErrKeyMismatch},
		{"alg-none", jwks.ErrUnsupportedAlgorithm},
		{"kty-unknown", jwks.ErrUnsupportedKey},
		{"crv-secp256k1", jwks.ErrUnsupportedKey},
		{"crv-x25519", jwks.ErrUnsupportedKey},
		{"off-curve", jwks.ErrUnsupportedKey},
		{"padded", jwks.ErrUnsupportedKey},
		{"short-x", jwks.ErrUnsupportedKey},
		{"rsa-leading-zero", jwks.ErrUnsupportedKey},
		{"trailing-bits", jwks.ErrUnsupportedKey},
		{"newline", jwks.ErrUnsupportedKey},
		{"private-d", jwks.ErrUnsupportedKey},
		{"ed-short", jwks.ErrUnsupportedKey},
		{"missing-y", jwks.ErrUnsupportedKey},
		{"x-number", jwks.ErrUnsupportedKey},
		{"dup-member", jwks.ErrUnsupportedKey},
		{"bad\x01kid", jwks.ErrInvalidKID},
		{"twin", jwks.ErrInvalidKID},
		{"twin", jwks.ErrInvalidKID},
		{"", jwks.ErrInvalidKID},
	}
	keys, skipped, err := jwks.ParseSet(data)
	require.NoError(t, err)

	var wantKIDs, gotKIDs []string
	var wantSkips []error
	for _, w := range want {
		if w.wantErr == nil {
			wantKIDs = append(wantKIDs, w.kid)
		} else {
			wantSkips = append(wantSkips, w.wantErr)
		}
	}
	for _, k := range keys {
		gotKIDs = append(gotKIDs, k.ID())
	}
	assert.Equal(t, wantKIDs, gotKIDs)
	require.Len(t, skipped, len(wantSkips))
	for i, wantErr := range wantSkips {
		assert.ErrorIs(t, skipped[i], wantErr, "skipped[%d]: %v", i, skipped[i])
	}
}

func TestParseSetDocument(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	one := publicJWK(t, &ec.PublicKey, nil) // no kid: fine on its own
	other := publicJWK(t, &ec.PublicKey, map[string]any{"use": "enc"})

	tests := []struct {
		name     string
		data     []byte
		wantErr  error
		wantKeys int
		wantSkip int
	}{
		{name: "not JSON", data: []byte("<html></html>"), wantErr: jwks.ErrMalformed},
		{name: "no keys member", data: []byte(`{"key":[]}`), wantErr: jwks.ErrMalformed},
		{name: "keys null", data: []byte(`{"keys":null}`), wantErr: jwks.ErrMalformed},
		{name: "keys an object", data: []byte(`{"keys":{}}`), wantErr: jwks.ErrMalformed},
		{name: "keys twice", data: []byte(`{"keys":[],"keys":[]}`), wantErr: jwks.ErrMalformed},
		{name: "empty set", data: []byte(`{"keys":[]}`)},
		{name: "one key without kid", data: mustJSON(t, map[string]any{"keys": []any{one}}), wantKeys: 1},
		{
			name: "a key without kid next to an unusable one",
			data: mustJSON(t, map[string]any{"keys": []any{one, other}}), wantKeys: 1, wantSkip: 1,
		},
		{name: "a key that is not an object", data: mustJSON(t, map[string]any{"keys": []any{one, "x"}}), wantKeys: 1, wantSkip: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, skipped, err := jwks.ParseSet(tc.data)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Len(t, keys, tc.wantKeys)
			assert.Len(t, skipped, tc.wantSkip)
		})
	}
}
