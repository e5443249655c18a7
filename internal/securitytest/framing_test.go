package securitytest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/token"
)

// segments splits a compact token into its three parts.
func segments(t testing.TB, raw string) (h, p, s string) {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	return parts[0], parts[1], parts[2]
}

// SECURITY.md "Token framing", end to end: the exact response, no echo, and
// how far the verifier got. lookedUp says whether it reached a key lookup:
// framing, base64url and header rules run before it (the size cap "before
// any decoding"), claims-set rules only after the signature verified. The
// unit tables of every framing rule are TestVerifyFraming,
// TestVerifySizeCap, TestVerifyNonCanonicalBase64 and TestVerifyHeader in
// package token; the rows here are the ones that show the order of the
// checks or carry the canary, and cases those tables do not hold.
func TestAttackTokenFraming(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	good := r.token(t, nil, "")
	h, p, s := testkit.Segments(t, good)
	hdr := testkit.Header("ES256", "k1", "")
	claims := r.claims(t, nil, "")
	past := strconv.FormatInt(t0.Add(-time.Hour).Unix(), 10)
	future := strconv.FormatInt(t0.Add(4*time.Minute).Unix(), 10)
	pastExp := map[string]any{"exp": t0.Add(-time.Hour).Unix()}
	critHeader, _, _ := testkit.Segments(t, testkit.Sign(t, r.key, testkit.Header("ES256", "k1", `,"crit":["exp"]`), claims))
	tests := []struct {
		name     string
		raw      string
		wantErr  error
		lookedUp bool
	}{
		// Size cap before any decoding (default 8 KiB
		{"over 8 KiB, validly signed", r.token(t, nil, `,"pad":"`+strings.Repeat("a", 8<<10)+`"`), token.ErrMalformed, false},
		// Exactly three segments.
		{"dots only", "..", token.ErrMalformed, false},
		// Characters `[A-Za-z0-9_-]` only (no padding, no whitespace, no CR/LF)
		{"trailing newline", good + "\n", token.ErrMalformed, false},
		// Every segment's characters are checked before the header's JSON is
		// read: a refused header does not mask a malformed token.
		{"space in the payload under a crit header", critHeader + "." + p[:8] + " " + p[8:] + "." + s, token.ErrMalformed, false},
		{"'!' in the signature under a crit header", critHeader + "." + p + "." + s[:8] + "!" + s[9:], token.ErrMalformed, false},
		// Strict base64url: a signature no ES256 key can have made.
		{"impossible signature length", h + "." + p + "." + s[:85], token.ErrMalformed, false},
		// Header and claims: UTF-8, a JSON object each
		{"claims not UTF-8", r.token(t, nil, `,"note":"`+canary+"\xff\""), token.ErrMalformed, true},
		{"claims a string", testkit.Sign(t, r.key, hdr, `"`+canary+`"`), token.ErrMalformed, true},
		{"data after the claims", testkit.Sign(t, r.key, hdr, claims+"{}"), token.ErrMalformed, true},
		// no duplicate member names
		{"exp twice, the first in the future", r.token(t, nil, `,"exp":`+past), token.ErrMalformed, true},
		{"exp twice, one escaped", r.token(t, pastExp, `,"\u0065xp":`+future), token.ErrMalformed, true},
		// no case-variant of a registered name (`Exp`, `AUD`, …)
		{"ISS", r.token(t, nil, `,"ISS":"`+canary+`"`), token.ErrMalformed, true},
		// no `crit` (we support no extensions, so any `crit` is rejected)
		{"crit naming a present extension", testkit.Sign(t, r.key, testkit.Header("ES256", "k1", `,"crit":["x-ext"],"x-ext":1`), claims), token.ErrUnsupported, false},
		// `typ`, `crit`, `zip` never looked at by golang-jwt; here typ must
		// be JWT or at+jwt (README "What is rejected, and how")
		{"typ of a JWE", testkit.Sign(t, r.key, `{"alg":"ES256","kid":"k1","typ":"JWE"}`, claims), token.ErrUnsupported, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := r.lookups.Load()
			r.reject(t, tc.raw, tc.wantErr)
			assert.Equal(t, tc.lookedUp, r.lookups.Load() > before, "key lookup reached")
		})
	}
	t.Run("control: the unmodified token passes", func(t *testing.T) {
		r.accept(t, good)
	})
}
