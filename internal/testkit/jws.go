package testkit

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/execauth/execauth/jwks"
)

// B64 encodes s as unpadded base64url, the encoding of every JWS segment.
func B64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Header returns a JOSE header naming alg and kid ("" leaves kid out), with
// extra members appended verbatim (start them with a comma).
func Header(alg, kid, extra string) string {
	h := `{"alg":"` + alg + `","typ":"JWT"`
	if kid != "" {
		h += `,"kid":"` + kid + `"`
	}
	return h + extra + "}"
}

// Sign makes a compact JWS of exact header and payload text, signed by k
// with golang-jwt, so that the library under test signs none of the hostile
// tokens a test builds.
func Sign(t testing.TB, k *jwks.SigningKey, header, payload string) string {
	t.Helper()
	input := B64(header) + "." + B64(payload)
	return input + "." + SignInput(t, k.Algorithm(), k.Private(), input)
}

// SignInput signs an exact signing input with alg and any key golang-jwt
// takes for it, and returns the encoded signature.
func SignInput(t testing.TB, alg jwks.Algorithm, key any, input string) string {
	t.Helper()
	sig, err := jwt.GetSigningMethod(string(alg)).Sign(input, key)
	if err != nil {
		t.Fatalf("testkit: sign with %s: %v", alg, err)
	}
	return base64.RawURLEncoding.EncodeToString(sig)
}

// Segments splits a compact token into its three parts.
func Segments(t testing.TB, raw string) (header, payload, signature string) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("testkit: %d segments, want 3", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

// Payload decodes the claims of a token without verifying it, each member
// as its JSON text, to look at the form the issuer wrote.
func Payload(t testing.TB, raw string) map[string]json.RawMessage {
	t.Helper()
	_, p, _ := Segments(t, raw)
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatalf("testkit: payload: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("testkit: payload: %v", err)
	}
	return m
}

// SignPSS makes a compact JWS of exact header and payload text signed with
// RSA-PSS SHA-256 and the given salt length (rsa.PSSSaltLengthEqualsHash is
// the one RFC 7518 §3.5 allows).
func SignPSS(t testing.TB, key *rsa.PrivateKey, header, payload string, salt int) string {
	t.Helper()
	input := B64(header) + "." + B64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: salt})
	if err != nil {
		t.Fatalf("testkit: sign PSS: %v", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
