package benchmarks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

var b64 = base64.RawURLEncoding

// setup returns the shared fixture for alg and its contenders.
func setup(tb testing.TB, alg string) (*fixture, []contender) {
	tb.Helper()
	all, err := fixtures()
	require.NoError(tb, err)
	f := all[alg]
	require.NotNil(tb, f, alg)
	cs, err := contenders(f)
	require.NoError(tb, err)
	return f, cs
}

// claimsOf decodes the payload of f's token, numbers kept exact.
func claimsOf(tb testing.TB, f *fixture) map[string]any {
	tb.Helper()
	parts := strings.Split(f.token, ".")
	require.Len(tb, parts, 3)
	payload, err := b64.DecodeString(parts[1])
	require.NoError(tb, err)
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var m map[string]any
	require.NoError(tb, d.Decode(&m))
	return m
}

// forge signs claims with f's key and kid, as a second issuer holding the
// key would: a correctly signed token whose claims the attacker chose.
func forge(tb testing.TB, f *fixture, claims map[string]any) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.GetSigningMethod(f.alg), jwt.MapClaims(claims))
	t.Header["kid"] = f.signer.ID()
	s, err := t.SignedString(f.signer.Private())
	require.NoError(tb, err)
	return s
}

// splice puts payload claims into f's token, keeping its header and signature.
func splice(tb testing.TB, f *fixture, claims map[string]any) string {
	tb.Helper()
	payload, err := json.Marshal(claims)
	require.NoError(tb, err)
	parts := strings.Split(f.token, ".")
	return parts[0] + "." + b64.EncodeToString(payload) + "." + parts[2]
}

// flipSignature flips one bit in the middle of the token's signature.
func flipSignature(tb testing.TB, f *fixture) string {
	tb.Helper()
	dot := strings.LastIndexByte(f.token, '.')
	sig, err := b64.DecodeString(f.token[dot+1:])
	require.NoError(tb, err)
	sig[len(sig)/2] ^= 0x01
	return f.token[:dot+1] + b64.EncodeToString(sig)
}

// unsigned is f's token re-headed with alg "none" and no signature.
func unsigned(tb testing.TB, f *fixture) string {
	tb.Helper()
	parts := strings.Split(f.token, ".")
	header := b64.EncodeToString([]byte(`{"alg":"none","kid":"` + f.signer.ID() + `","typ":"JWT"}`))
	return header + "." + parts[1] + "."
}
