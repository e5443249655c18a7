package execauth_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/token"
)

// segments splits a compact token into its three parts.
func segments(t testing.TB, raw string) (h, p, s string) {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	return parts[0], parts[1], parts[2]
}

// nonCanonical sets a spare trailing bit of a base64url segment: a lax
// decoder yields the same bytes, a strict one refuses it.
func nonCanonical(t testing.TB, seg string) string {
	t.Helper()
	require.Contains(t, []int{2, 3}, len(seg)%4, "segment has no spare bits")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	require.Zero(t, last&1, "segment already non-canonical")
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

// SECURITY.md "Token framing". lookedUp says whether the verifier got as far
// as a key lookup: framing, base64url and header rules run before it (the
// size cap "before any decoding"), claims-set rules only after the signature
// verified.
func TestAttackTokenFraming(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	good := r.token(t, nil, "")
	h, p, s := segments(t, good)
	hdr := header("ES256", "k1", "")
	claims := r.claims(t, nil, "")
	past := strconv.FormatInt(t0.Add(-time.Hour).Unix(), 10)
	future := strconv.FormatInt(t0.Add(4*time.Minute).Unix(), 10)
	pastExp := map[string]any{"exp": t0.Add(-time.Hour).Unix()}
	critHeader, _, _ := segments(t, sign(t, r.key, header("ES256", "k1", `,"crit":["exp"]`), claims))
	tests := []struct {
		name     string
		raw      string
		wantErr  error
		lookedUp bool
	}{
		// "Size cap before any decoding (default 8 KiB"
		{"over 8 KiB, validly signed", r.token(t, nil, `,"pad":"`+strings.Repeat("a", 8<<10)+`"`), token.ErrMalformed, false},
		{"9 KiB of junk", strings.Repeat("A", 9<<10), token.ErrMalformed, false},
		// "Exactly three segments."
		{"two segments", h + "." + p, token.ErrMalformed, false},
		{"four segments", good + "." + s, token.ErrMalformed, false},
		{"empty signature", h + "." + p + ".", token.ErrMalformed, false},
		{"empty payload", h + ".." + s, token.ErrMalformed, false},
		{"dots only", "..", token.ErrMalformed, false},
		// "Characters `[A-Za-z0-9_-]` only (no padding, no whitespace, no CR/LF)"
		{"padding", h + "." + p + "=." + s, token.ErrMalformed, false},
		{"space inside", h + "." + p[:8] + " " + p[8:] + "." + s, token.ErrMalformed, false},
		{"trailing newline", good + "\n", token.ErrMalformed, false},
		{"CRLF inside the payload", h + "." + p[:8] + "\r\n" + p[8:] + "." + s, token.ErrMalformed, false},
		{"tab inside the header", h[:4] + "\t" + h[4:] + "." + p + "." + s, token.ErrMalformed, false},
		{"'+' of the standard alphabet", h + "." + p + ".+" + s[1:], token.ErrMalformed, false},
		{"non-ASCII", h + "." + p + "." + s + "é", token.ErrMalformed, false},
		{"NUL", h + "\x00." + p + "." + s, token.ErrMalformed, false},
		// "Strict base64url (canonical trailing bits)."
		{"non-canonical header bits", nonCanonical(t, h) + "." + p + "." + s, token.ErrMalformed, false},
		{"non-canonical payload bits", h + "." + nonCanonical(t, p) + "." + s, token.ErrMalformed, false},
		// Every segment's characters are checked before the header's JSON is
		// read: a refused header does not mask a malformed token.
		{"space in the payload under a crit header", critHeader + "." + p[:8] + " " + p[8:] + "." + s, token.ErrMalformed, false},
		{"'!' in the signature under a crit header", critHeader + "." + p + "." + s[:8] + "!" + s[9:], token.ErrMalformed, false},
		{"non-canonical signature bits", h + "." + p + "." + nonCanonical(t, s), token.ErrMalformed, false},
		{"impossible signature length", h + "." + p + "." + s[:85], token.ErrMalformed, false},
		// "Header and claims: UTF-8, a JSON object each"
		{"header not UTF-8", sign(t, r.key, header("ES256", "k1", `,"x":"`+canary+"\xff\""), claims), token.ErrMalformed, false},
		{"claims not UTF-8", r.token(t, nil, `,"note":"`+canary+"\xff\""), token.ErrMalformed, true},
		{"header an array", sign(t, r.key, `["ES256","k1"]`, claims), token.ErrMalformed, false},
		{"claims an array", sign(t, r.key, hdr, "["+claims+"]"), token.ErrMalformed, true},
		{"claims a string", sign(t, r.key, hdr, `"`+canary+`"`), token.ErrMalformed, true},
		{"data after the claims", sign(t, r.key, hdr, claims+"{}"), token.ErrMalformed, true},
		// "no duplicate member names"
		{"exp twice, the last in the future", r.token(t, pastExp, `,"exp":`+future), token.ErrMalformed, true},
		{"exp twice, the first in the future", r.token(t, nil, `,"exp":`+past), token.ErrMalformed, true},
		{"exp twice, one escaped", r.token(t, pastExp, `,"\u0065xp":`+future), token.ErrMalformed, true},
		{"alg twice", sign(t, r.key, `{"alg":"none","alg":"ES256","kid":"k1"}`, claims), token.ErrMalformed, false},
		{"duplicate inside a nested object", r.token(t, nil, `,"x":{"a":1,"a":2}`), token.ErrMalformed, true},
		// "no case-variant of a registered name (`Exp`, `AUD`, …)"
		{"Exp beside a past exp", r.token(t, pastExp, `,"Exp":`+future), token.ErrMalformed, true},
		{"AUD beside a foreign aud", r.token(t, map[string]any{"aud": "other-api"}, `,"AUD":"`+audience+`"`), token.ErrMalformed, true},
		{"ISS", r.token(t, nil, `,"ISS":"`+canary+`"`), token.ErrMalformed, true},
		{"KID in the header", sign(t, r.key, `{"alg":"ES256","KID":"k1"}`, claims), token.ErrMalformed, false},
		// "nesting bounded."
		{"claims nested 64 deep", r.token(t, nil, `,"n":`+strings.Repeat("[", 64)+strings.Repeat("]", 64)), token.ErrMalformed, true},
		{"header nested 64 deep", sign(t, r.key, header("ES256", "k1", `,"n":`+strings.Repeat("[", 64)+strings.Repeat("]", 64)), claims), token.ErrMalformed, false},
		// "Compact JWS only: no JWE (5 segments), no JSON serialization, no `zip`, no `cty`,"
		{"JWE, five segments", h + "." + p + "." + s + "." + s + "." + s, token.ErrMalformed, false},
		{"JWS JSON serialization", `{"payload":"` + p + `","protected":"` + h + `","signature":"` + s + `"}`, token.ErrMalformed, false},
		{"zip", sign(t, r.key, header("ES256", "k1", `,"zip":"DEF"`), claims), token.ErrUnsupported, false},
		{"cty JWT", sign(t, r.key, header("ES256", "k1", `,"cty":"JWT"`), claims), token.ErrUnsupported, false},
		{"enc of a JWE header", sign(t, r.key, header("ES256", "k1", `,"enc":"A256GCM"`), claims), token.ErrUnsupported, false},
		// "no `crit` (we support no extensions, so any `crit` is rejected), no `b64`."
		{"crit naming exp", sign(t, r.key, header("ES256", "k1", `,"crit":["exp"]`), claims), token.ErrUnsupported, false},
		{"crit naming a present extension", sign(t, r.key, header("ES256", "k1", `,"crit":["x-ext"],"x-ext":1`), claims), token.ErrUnsupported, false},
		{"crit empty", sign(t, r.key, header("ES256", "k1", `,"crit":[]`), claims), token.ErrUnsupported, false},
		{"b64 false", sign(t, r.key, header("ES256", "k1", `,"b64":false`), claims), token.ErrUnsupported, false},
		// "`typ`, `crit`, `zip` never looked at" by golang-jwt; here typ must
		// be JWT or at+jwt (DESIGN.md §3)
		{"typ JOSE", sign(t, r.key, `{"alg":"ES256","kid":"k1","typ":"JOSE"}`, claims), token.ErrUnsupported, false},
		{"typ of a JWE", sign(t, r.key, `{"alg":"ES256","kid":"k1","typ":"JWE"}`, claims), token.ErrUnsupported, false},
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
	// "Size cap ... (default 8 KiB, configurable)"
	t.Run("configured size cap", func(t *testing.T) {
		small := newRig(t, rigOpts{verify: func(c *token.VerifierConfig) { c.MaxSize = 600 }})
		small.accept(t, small.token(t, nil, ""))
		long := small.token(t, nil, `,"pad":"`+strings.Repeat("a", 200)+`"`)
		require.Greater(t, len(long), 600)
		small.reject(t, long, token.ErrMalformed)
		assert.Equal(t, int64(2), small.lookups.Load(), "only the control looked a key up")
	})
}
