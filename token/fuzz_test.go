package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// fuzzKeys are fixed keys, so that checked-in seed tokens stay valid.
func fuzzKeys(t testing.TB) (es, ed *jwks.SigningKey) {
	t.Helper()
	d := sha256.Sum256([]byte("execauth fuzz p-256"))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	require.NoError(t, err)
	es, err = jwks.NewSigningKey("es", "ES256", priv)
	require.NoError(t, err)
	seed := sha256.Sum256([]byte("execauth fuzz ed25519"))
	ed, err = jwks.NewSigningKey("ed", "EdDSA", ed25519.NewKeyFromSeed(seed[:]))
	require.NoError(t, err)
	return es, ed
}

func fuzzVerifier(t testing.TB, keys ...*jwks.SigningKey) *Verifier {
	t.Helper()
	var pub []jwks.Key
	for _, k := range keys {
		pub = append(pub, k.Public())
	}
	set, err := jwks.NewStatic(pub...)
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{Keys: set, Issuer: testIssuer, Audience: []string{testAudience}, Now: clock})
	require.NoError(t, err)
	return v
}

// FuzzVerify feeds arbitrary strings, seeded with valid tokens of each
// algorithm. Invariants: no panic; nothing is accepted unless its signature
// verifies under a configured key (checked here with the standard library
// alone); errors are always one of the sentinels and never come with claims.
func FuzzVerify(f *testing.F) {
	es, ed := fuzzKeys(f)
	v := fuzzVerifier(f, es, ed)
	for _, k := range []*jwks.SigningKey{es, ed} {
		header := `{"alg":"` + string(k.Algorithm()) + `","kid":"` + k.ID() + `","typ":"JWT"}`
		raw, err := signParts([]byte(header), []byte(validClaims(f, nil)), k)
		require.NoError(f, err)
		f.Add(string(raw))
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("....")
	sentinels := []error{ErrMalformed, ErrUnsupported, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrExpired,
		ErrNotYetValid, ErrIssuer, ErrAudience, ErrSubject, ErrScope, ErrLifetime, ErrClaims}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(context.Background(), raw)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		if !stdlibSignatureValid(raw, es, ed) {
			t.Fatal("accepted a token whose signature does not verify under a configured key")
		}
	})
}

// stdlibSignatureValid checks a compact JWS with crypto/ecdsa and
// crypto/ed25519 directly, independent of the code under test.
func stdlibSignatureValid(raw string, es, ed *jwks.SigningKey) bool {
	i := len(raw) - 1
	for i >= 0 && raw[i] != '.' {
		i--
	}
	if i < 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil {
		return false
	}
	input := []byte(raw[:i])
	if len(sig) == 64 && ed25519.Verify(ed.Public().Material().(ed25519.PublicKey), input, sig) {
		return true
	}
	sum := sha256.Sum256(input)
	r, s := new(big.Int).SetBytes(sig[:min(32, len(sig))]), new(big.Int).SetBytes(sig[min(32, len(sig)):])
	return len(sig) == 64 && ecdsa.Verify(es.Public().Material().(*ecdsa.PublicKey), sum[:], r, s)
}

// FuzzDifferential signs fuzzed header and claims bytes with a trusted key and
// compares Verify with golang-jwt's ParseWithClaims configured with every
// equivalent option. Whatever we accept, golang-jwt accepts with equal
// claims. Where golang-jwt accepts and we reject, the reason must be one of
// the stricter rules of SECURITY.md ("Token framing", "Algorithms and keys",
// "Claims").
func FuzzDifferential(f *testing.F) {
	es, _ := fuzzKeys(f)
	v := fuzzVerifier(f, es)
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(testIssuer), jwt.WithAudience(testAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(DefaultLeeway),
		jwt.WithTimeFunc(clock),
	)
	keyfunc := func(*jwt.Token) (any, error) { return es.Public().Material(), nil }

	header := `{"alg":"ES256","kid":"es","typ":"JWT"}`
	f.Add(header, validClaims(f, nil))
	f.Add(header, validClaims(f, map[string]any{"aud": []string{"x", testAudience}, "nbf": absent}))
	f.Add(`{"alg":"ES256"}`, validClaims(f, map[string]any{"Exp": 1}))
	f.Add(`{"alg":"ES256","crit":["b64"]}`, validClaims(f, map[string]any{"exp": "123"}))
	f.Add(header, `{"iss":"`+testIssuer+`","iss":"x"}`)
	f.Add(header, validClaims(f, map[string]any{"scope": "workload", "sub": "x"}))

	// Our stricter rules, each listed in SECURITY.md.
	stricter := []error{
		ErrMalformed,   // duplicates, case variants, JSON types, UTF-8, nesting, kid syntax
		ErrUnsupported, // crit, zip, cty, b64, enc, typ
		ErrUnknownKey,  // kid bound to a key
		ErrClaims,      // iat required
		ErrSubject,     // sub required, UUID for workload/execution
		ErrScope,       // exactly one class
		ErrLifetime,    // exp - iat bounded per class
		ErrAudience,    // "" and [] count as missing
		ErrExpired,     // at exactly exp + leeway we say expired; golang-jwt one second later
	}
	f.Fuzz(func(t *testing.T, header, claims string) {
		raw, err := signParts([]byte(header), []byte(claims), es)
		if err != nil {
			return
		}
		ours, ourErr := v.Verify(context.Background(), string(raw))
		var theirs jwt.RegisteredClaims
		_, theirErr := parser.ParseWithClaims(string(raw), &theirs, keyfunc)

		switch {
		case ourErr == nil && theirErr != nil:
			t.Fatalf("we accept what golang-jwt rejects: %v", theirErr)
		case ourErr == nil:
			if ours.Issuer != theirs.Issuer || ours.Subject != theirs.Subject || ours.ID != theirs.ID ||
				!slices.Equal(ours.Audience, []string(theirs.Audience)) ||
				!sameTime(ours.ExpiresAt, theirs.ExpiresAt) || !sameTime(ours.IssuedAt, theirs.IssuedAt) ||
				!sameTime(ours.NotBefore, theirs.NotBefore) {
				t.Fatalf("claims differ:\nours   %+v\ntheirs %+v", ours, theirs)
			}
		case theirErr == nil:
			if !slices.ContainsFunc(stricter, func(s error) bool { return errors.Is(ourErr, s) }) {
				t.Fatalf("rejected for an undocumented reason: %v", ourErr)
			}
		}
	})
}

func sameTime(t time.Time, d *jwt.NumericDate) bool {
	if d == nil {
		return t.IsZero()
	}
	return !t.IsZero() && t.Unix() == d.Unix()
}
