package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// vectors are published JOSE test vectors: RFC 7515 Appendix A, RFC 8037
// Appendix A and RFC 7638 §3.1, in ../jwks/testdata/rfc-vectors.json.
type vectors struct {
	RFC7515 map[string]struct {
		Alg jwks.Algorithm    `json:"alg"`
		JWS string            `json:"jws"`
		JWK map[string]string `json:"jwk"`
	} `json:"rfc7515"`
	RFC8037 struct {
		D       string            `json:"A.1_private_d"`
		JWK     map[string]string `json:"A.2_public_jwk"`
		JWS     string            `json:"A.4_jws"`
		Payload string            `json:"A.4_payload_text"`
	} `json:"rfc8037"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	data, err := os.ReadFile("../jwks/testdata/rfc-vectors.json")
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// vectorKey builds the public key of a vector's JWK by hand, so that this test
// does not depend on the JWK parser it may one day check.
func vectorKey(t *testing.T, alg jwks.Algorithm, jwk map[string]string) jwks.Key {
	t.Helper()
	var material any
	switch jwk["kty"] {
	case "oct":
		material = unb64(t, jwk["k"])
	case "RSA":
		material = &rsa.PublicKey{N: new(big.Int).SetBytes(unb64(t, jwk["n"])), E: int(new(big.Int).SetBytes(unb64(t, jwk["e"])).Int64())}
	case "EC":
		point := append([]byte{4}, append(unb64(t, jwk["x"]), unb64(t, jwk["y"])...)...)
		curve := elliptic.P256()
		if jwk["crv"] == "P-521" {
			curve = elliptic.P521()
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		require.NoError(t, err)
		material = pub
	case "OKP":
		material = ed25519.PublicKey(unb64(t, jwk["x"]))
	}
	k, err := jwks.NewKey("", alg, material)
	require.NoError(t, err)
	return k
}

// RFC 7515 A.1–A.3 carry only iss, exp and a private claim. Before their exp
// the signature, header and exp pass and verification stops at the first
// claim this library requires and they lack (iat); after exp they are expired.
func TestRFC7515Vectors(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	expiry := time.Unix(1300819380, 0).UTC()
	for _, name := range []string{"A.1", "A.2", "A.3"} {
		tv := vec.RFC7515[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			keys, err := jwks.NewStatic(vectorKey(t, tv.Alg, tv.JWK))
			require.NoError(t, err)
			verifier := func(at time.Time) *Verifier {
				v, err := NewVerifier(VerifierConfig{
					Keys: keys, Issuer: "joe", Audience: []string{"any"}, Algorithms: []jwks.Algorithm{tv.Alg},
					Now: func() time.Time { return at },
				})
				require.NoError(t, err)
				return v
			}
			before := verifier(expiry.Add(-time.Minute))
			payload, _, _, err := before.verifySignature(context.Background(), tv.JWS, nil)
			require.NoError(t, err, "signature must verify")
			c, err := decodeClaims(payload, "", new(expected))
			require.NoError(t, err)
			assert.Equal(t, "joe", c.Issuer)
			assert.Equal(t, expiry, c.ExpiresAt)
			root, ok := c.Extra("http://example.com/is_root")
			assert.True(t, ok)
			assert.Equal(t, "true", string(root))

			got, err := before.Verify(context.Background(), tv.JWS)
			require.ErrorIs(t, err, ErrClaims, "iat is required here")
			assert.Nil(t, got)

			_, err = verifier(expiry.Add(time.Minute)).Verify(context.Background(), tv.JWS)
			require.ErrorIs(t, err, ErrExpired)
		})
	}
}

// RFC 7515 A.4 (ES512) and RFC 8037 A.4 (Ed25519) have non-JSON payloads:
// the signature verifies, the claims are malformed.
func TestSignatureOnlyVectors(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	cases := []struct {
		alg, jws, payload string
		key               jwks.Key
	}{
		{"ES512", vec.RFC7515["A.4"].JWS, "Payload", vectorKey(t, "ES512", vec.RFC7515["A.4"].JWK)},
		{"EdDSA", vec.RFC8037.JWS, vec.RFC8037.Payload, vectorKey(t, "EdDSA", vec.RFC8037.JWK)},
	}
	for _, tc := range cases {
		keys, err := jwks.NewStatic(tc.key)
		require.NoError(t, err)
		v, err := NewVerifier(VerifierConfig{Keys: keys, Issuer: "joe", Audience: []string{"any"}, Now: clock})
		require.NoError(t, err)
		payload, _, _, err := v.verifySignature(context.Background(), tc.jws, nil)
		require.NoError(t, err, tc.alg)
		assert.Equal(t, tc.payload, string(payload))
		_, err = v.Verify(context.Background(), tc.jws)
		require.ErrorIs(t, err, ErrMalformed, tc.alg)
	}

	// RFC 8037 A.4: Ed25519 is deterministic; signing the input with the A.1
	// private key reproduces the published signature.
	seed := unb64(t, vec.RFC8037.D)
	sk, err := jwks.NewSigningKey("", "EdDSA", ed25519.NewKeyFromSeed(seed))
	require.NoError(t, err)
	raw, err := signParts([]byte(`{"alg":"EdDSA"}`), []byte(vec.RFC8037.Payload), sk)
	require.NoError(t, err)
	assert.Equal(t, vec.RFC8037.JWS, string(raw))
}

// RFC 7515 A.5: an unsecured JWS (alg "none", empty signature) is rejected,
// and so is a "none" token with a signature appended.
func TestRFC7515UnsecuredRejected(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	f := newFixture(t, "ES256", nil)
	_, err := f.verify(t, vec.RFC7515["A.5"].JWS)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = f.verify(t, vec.RFC7515["A.5"].JWS+"AAAA")
	require.ErrorIs(t, err, ErrAlgorithm)
}
