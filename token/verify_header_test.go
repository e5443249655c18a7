package token

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// SECURITY.md "Token framing": the header's JSON, and only compact JWS
// without crit, zip, cty, b64 or enc.
func TestVerifyHeader(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	claims := validClaims(t, nil)
	tests := []struct {
		name    string
		header  string
		wantErr error
	}{
		{"not an object", `["ES256"]`, ErrMalformed},
		{"a string", `"ES256"`, ErrMalformed},
		{"invalid UTF-8", "{\"alg\":\"ES256\",\"kid\":\"k1\",\"x\":\"\xff\"}", ErrMalformed},
		{"trailing data", validHeaderES256 + `{}`, ErrMalformed},
		{"duplicate alg", `{"alg":"HS256","alg":"ES256","kid":"k1"}`, ErrMalformed},
		{"duplicate kid", `{"alg":"ES256","kid":"other","kid":"k1"}`, ErrMalformed},
		{"duplicate via escape", `{"alg":"ES256","kid":"k1","\u0061lg":"ES256"}`, ErrMalformed},
		{"case variant ALG", `{"alg":"ES256","ALG":"none","kid":"k1"}`, ErrMalformed},
		{"case variant Kid", `{"alg":"ES256","Kid":"k2","kid":"k1"}`, ErrMalformed},
		{"no alg", `{"kid":"k1"}`, ErrMalformed},
		{"alg not a string", `{"alg":1,"kid":"k1"}`, ErrMalformed},
		{"alg none", `{"alg":"none","kid":"k1"}`, ErrAlgorithm},
		{"alg None", `{"alg":"None","kid":"k1"}`, ErrAlgorithm},
		{"alg not allowed", `{"alg":"HS256","kid":"k1"}`, ErrAlgorithm},
		{"alg empty", `{"alg":"","kid":"k1"}`, ErrAlgorithm},
		{"crit", `{"alg":"ES256","kid":"k1","crit":["exp"]}`, ErrUnsupported},
		{"crit empty", `{"alg":"ES256","kid":"k1","crit":[]}`, ErrUnsupported},
		{"zip", `{"alg":"ES256","kid":"k1","zip":"DEF"}`, ErrUnsupported},
		{"cty", `{"alg":"ES256","kid":"k1","cty":"JWT"}`, ErrUnsupported},
		{"b64", `{"alg":"ES256","kid":"k1","b64":false}`, ErrUnsupported},
		{"enc (JWE)", `{"alg":"ES256","kid":"k1","enc":"A256GCM"}`, ErrUnsupported},
		{"typ JOSE", `{"alg":"ES256","kid":"k1","typ":"JOSE"}`, ErrUnsupported},
		{"typ secevent", `{"alg":"ES256","kid":"k1","typ":"secevent+jwt"}`, ErrUnsupported},
		{"typ not a string", `{"alg":"ES256","kid":"k1","typ":1}`, ErrMalformed},
		{"kid empty", `{"alg":"ES256","kid":""}`, ErrMalformed},
		{"kid too long", `{"alg":"ES256","kid":"` + strings.Repeat("k", 257) + `"}`, ErrMalformed},
		{"kid control char", `{"alg":"ES256","kid":"k\n1"}`, ErrMalformed},
		{"kid not a string", `{"alg":"ES256","kid":1}`, ErrMalformed},
		{"kid null", `{"alg":"ES256","kid":null}`, ErrMalformed},
		{"unknown kid", `{"alg":"ES256","kid":"k2"}`, ErrUnknownKey},
		{"nesting too deep", `{"alg":"ES256","kid":"k1","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, ErrMalformed},
		{"lone surrogate in a name", `{"alg":"ES256","kid":"k1","\ud800":1}`, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.verify(t, f.signed(t, tc.header, claims))
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

func TestVerifyHeaderAccepted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	claims := validClaims(t, nil)
	for _, h := range []string{
		`{"alg":"ES256","kid":"k1"}`,
		`{"alg":"ES256","kid":"k1","typ":"JWT"}`,
		`{"alg":"ES256","kid":"k1","typ":"jwt"}`,
		`{"alg":"ES256","kid":"k1","typ":"application/JWT"}`,
		`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`,
		`{"alg":"ES256","kid":"k1","typ":"Application/AT+JWT"}`,
		"{\"typ\":\"JWT\",\r\n \"alg\":\"ES256\", \"kid\":\"k1\"}",
		`{"alg":"ES256","kid":"k1","x5t#S256":"abc","custom":{"a":[1,2,{"b":null}]}}`,
		`{"alg":"ES256"}`, // one key could match: kid not needed
	} {
		_, err := f.verify(t, f.signed(t, h, claims))
		assert.NoError(t, err, h)
	}
}

// jku, x5u, jwk and x5c are never dereferenced or trusted: a header pointing
// at an attacker's server causes no request, and an embedded key is ignored.
func TestVerifyNeverFollowsHeaderKeys(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()

	f := newFixture(t, "ES256", nil)
	attacker := testkit.Key(t, "ES256", "k1") // same kid, attacker's key
	u := srv.URL + "/jwks.json"
	for _, h := range []string{
		`{"alg":"ES256","kid":"k1","jku":"` + u + `"}`,
		`{"alg":"ES256","kid":"k1","x5u":"` + u + `"}`,
		`{"alg":"ES256","kid":"k1","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}`,
		`{"alg":"ES256","kid":"k1","x5c":["MIIB"]}`,
	} {
		raw, err := signParts([]byte(h), []byte(validClaims(t, nil)), attacker)
		require.NoError(t, err)
		_, err = f.verify(t, string(raw))
		assert.ErrorIs(t, err, ErrSignature, h)
		// Signed by the trusted key, the same header verifies: it is ignored, not trusted.
		_, err = f.verify(t, f.signed(t, h, validClaims(t, nil)))
		assert.NoError(t, err, h)
	}
	assert.Zero(t, hits.Load(), "a header URL was fetched")
}

// SECURITY.md "Algorithms and keys".
func TestVerifyAlgorithmBinding(t *testing.T) {
	t.Parallel()
	es := testkit.Key(t, "ES256", "es")
	ed := testkit.Key(t, "EdDSA", "ed")
	rs := testkit.Key(t, "RS256", "rs")
	keys, err := jwks.NewStatic(es.Public(), ed.Public(), rs.Public())
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{
		Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}, Now: clock,
		Algorithms: []jwks.Algorithm{"ES256", "EdDSA", "RS256", "HS256", "PS256"},
	})
	require.NoError(t, err)
	claims := []byte(validClaims(t, nil))
	verify := func(raw Raw) error {
		c, err := v.Verify(context.Background(), string(raw))
		if err != nil {
			assert.Nil(t, c)
		}
		return err
	}

	raw, err := signParts([]byte(`{"alg":"EdDSA","kid":"ed"}`), claims, ed)
	require.NoError(t, err)
	require.NoError(t, verify(raw))

	// A header claiming another alg than the key's: rejected before any crypto.
	raw, err = signParts([]byte(`{"alg":"ES256","kid":"ed"}`), claims, ed)
	require.NoError(t, err)
	require.ErrorIs(t, verify(raw), ErrAlgorithm)

	// Key confusion: HS256 "signed" with the RSA public key bytes as secret.
	pubAsSecret, err := jwks.NewSigningKey("rs", "HS256", []byte(strings.Repeat("p", 64)))
	require.NoError(t, err)
	raw, err = signParts([]byte(`{"alg":"HS256","kid":"rs"}`), claims, pubAsSecret)
	require.NoError(t, err)
	require.ErrorIs(t, verify(raw), ErrAlgorithm)

	// PS256 is allowed here, but the key is bound to RS256.
	raw, err = signParts([]byte(`{"alg":"PS256","kid":"rs"}`), claims, rs)
	require.ErrorIs(t, err, nil)
	require.ErrorIs(t, verify(raw), ErrAlgorithm)

	// No kid and three keys: only one is bound to EdDSA, so it is unambiguous…
	raw, err = signParts([]byte(`{"alg":"EdDSA"}`), claims, ed)
	require.NoError(t, err)
	require.NoError(t, verify(raw))
	// …but two EdDSA keys make kid required.
	ed2 := testkit.Key(t, "EdDSA", "ed2")
	keys2, err := jwks.NewStatic(ed.Public(), ed2.Public())
	require.NoError(t, err)
	v2, err := NewVerifier(VerifierConfig{Keys: keys2, Issuer: testIssuer, Audience: []string{testAudience}, Now: clock})
	require.NoError(t, err)
	_, err = v2.Verify(context.Background(), string(raw))
	require.ErrorIs(t, err, ErrUnknownKey)
	require.ErrorIs(t, err, jwks.ErrKidRequired)
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	for _, alg := range []jwks.Algorithm{"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "HS256", "HS384", "HS512"} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, alg, nil)
			header := `{"alg":"` + string(alg) + `","kid":"k1"}`
			good := f.signed(t, header, validClaims(t, nil))
			c, err := f.verify(t, good)
			require.NoError(t, err)
			assert.Equal(t, "k1", c.KeyID())

			parts := strings.Split(good, ".")
			tampered := parts[0] + "." + testkit.B64(validClaims(t, map[string]any{"sub": "0195f3c4-6b9e-7a43-9c1d-000000000000"})) + "." + parts[2]
			_, err = f.verify(t, tampered)
			require.ErrorIs(t, err, ErrSignature)

			other := testkit.Key(t, alg, "k1")
			forged, err := signParts([]byte(header), []byte(validClaims(t, nil)), other)
			require.NoError(t, err)
			_, err = f.verify(t, string(forged))
			require.ErrorIs(t, err, ErrSignature)

			sig, err := decodeSegment(nil, parts[2])
			require.NoError(t, err)
			truncated := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig[:len(sig)-3])
			_, err = f.verify(t, truncated)
			require.ErrorIs(t, err, ErrSignature)
		})
	}
}

// RSA-PSS is verified with the salt length equal to the hash size only.
func TestVerifyPSSSaltLength(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "PS256", nil)
	rsaKey := f.key.Private()
	loose := testkit.SignPSS(t, rsaKey.(*rsa.PrivateKey), `{"alg":"PS256","kid":"k1"}`, validClaims(t, nil), 0)
	_, err := f.verify(t, loose)
	require.ErrorIs(t, err, ErrSignature)
}

func TestVerifyKeyLookupErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	raw := f.signed(t, validHeaderES256, validClaims(t, nil))
	for _, tc := range []struct {
		lookupErr error
		want      error
	}{
		{jwks.ErrKeysUnavailable, ErrKeysUnavailable},
		{context.DeadlineExceeded, ErrKeysUnavailable},
		{jwks.ErrUnknownKey, ErrUnknownKey},
		{jwks.ErrAlgorithmMismatch, ErrAlgorithm},
	} {
		v, err := NewVerifier(VerifierConfig{
			Keys: jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) {
				return jwks.Key{}, tc.lookupErr
			}),
			Issuer: testIssuer, Audience: []string{testAudience}, Now: clock,
		})
		require.NoError(t, err)
		c, err := v.Verify(context.Background(), raw)
		require.ErrorIs(t, err, tc.want)
		require.ErrorIs(t, err, tc.lookupErr)
		require.Nil(t, c)
	}
	// A lookup that returns a zero Key without error is refused, not trusted.
	v, err := NewVerifier(VerifierConfig{
		Keys:   jwks.LookupFunc(func(context.Context, string, jwks.Algorithm) (jwks.Key, error) { return jwks.Key{}, nil }),
		Issuer: testIssuer, Audience: []string{testAudience}, Now: clock,
	})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), raw)
	require.ErrorIs(t, err, ErrAlgorithm)
}

// SECURITY.md "Claims": a token without a valid signature learns nothing
// about its claims. Whatever is wrong in them, the answer is the signature
// error, so an attacker cannot probe which checks would pass.
func TestForgedTokenLearnsNothingAboutClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	attacker := testkit.Key(t, "ES256", "k1")
	for name, edits := range map[string]map[string]any{
		"valid claims":   nil,
		"expired":        {"iat": now.Unix() - 3600, "exp": now.Unix() - 1800},
		"wrong audience": {"aud": "other"},
		"wrong issuer":   {"iss": "other"},
		"no scope":       {"scope": absent},
		"bad subject":    {"sub": "x"},
		"exp as string":  {"exp": "1"},
	} {
		raw, err := signParts([]byte(validHeaderES256), []byte(validClaims(t, edits)), attacker)
		require.NoError(t, err)
		_, err = f.verify(t, string(raw))
		assert.Equal(t, ErrSignature, err, name) // the bare sentinel: no detail at all
	}
}

// TestVerifyHeaderBounds: a header is the largest input an unauthenticated
// caller controls, and it is parsed before the signature is checked. A header
// of more than 16 members or 1 KiB is refused before the key lookup, even
// correctly signed; at the bounds it is read as usual.
func TestVerifyHeaderBounds(t *testing.T) {
	t.Parallel()
	keys := &countingKeys{}
	f := newFixture(t, "ES256", func(c *VerifierConfig) { c.Keys = keys })
	keys.set(t, f.key.Public())
	claims := validClaims(t, nil)
	withMembers := func(n int) string { // alg, kid and n-2 unknown members
		var h strings.Builder
		h.WriteString(`{"alg":"ES256","kid":"k1"`)
		for i := range n - 2 {
			fmt.Fprintf(&h, `,"h%03d":0`, i)
		}
		return h.String() + "}"
	}
	padded := func(size int) string { // alg, kid and one member filling size bytes
		h := `{"alg":"ES256","kid":"k1","x":""}`
		return h[:len(h)-2] + strings.Repeat("x", size-len(h)) + `"}`
	}
	require.Len(t, padded(maxHeaderSize), maxHeaderSize)
	for _, tc := range []struct {
		name    string
		header  string
		wantErr error
	}{
		{"16 members", withMembers(16), nil},
		{"17 members", withMembers(17), ErrMalformed},
		{"450 members", withMembers(450), ErrMalformed},
		{"1 KiB", padded(maxHeaderSize), nil},
		{"1 KiB and a byte", padded(maxHeaderSize + 1), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := keys.lookups.Load()
			_, err := f.verify(t, f.signed(t, tc.header, claims))
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, before, keys.lookups.Load(), "refused before the key lookup")
		})
	}
}
