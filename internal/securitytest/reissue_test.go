package securitytest

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

var allClasses = []scope.Scope{scope.Workload, scope.Execution, scope.Processor}

// reissueRig is a rig whose issuer signs with a Keyring that starts with
// k1, on a route that accepts every class. Its verifier also trusts "ext",
// a key of another component under the same issuer name, which the
// issuer does not hold. Allow declines the jti "decline" and panics on the
// jti "panic".
func reissueRig(t testing.TB) (r *rig, ring *jwks.Keyring, ext *jwks.SigningKey) {
	t.Helper()
	clock, k1 := authtest.NewClock(t0), testkit.Key(t, jwks.ES256, "k1")
	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: k1, Now: clock.Now})
	require.NoError(t, err)
	ext = testkit.Key(t, jwks.ES256, "ext")
	extSet, err := jwks.NewStatic(ext.Public())
	require.NoError(t, err)
	keys := jwks.LookupFunc(func(ctx context.Context, kid string, alg jwks.Algorithm) (jwks.Key, error) {
		if kid == "ext" {
			return extSet.LookupKey(ctx, kid, alg)
		}
		return ring.LookupKey(ctx, kid, alg)
	})
	r = newRig(t, rigOpts{clock: clock, key: k1, keys: keys, signing: ring, classes: allClasses,
		reissue: func(c *refresh.ReissuerConfig) {
			c.Allow = func(_ *http.Request, c *token.Claims) bool {
				if c.ID == "panic" {
					panic(canary + " " + c.Subject)
				}
				return c.ID != "decline"
			}
		}})
	return r, ring, ext
}

// execClaims are the claims of an execution token from t0 to t0+10m, in a
// chain started at t0.
func execClaims() token.Claims {
	return token.Claims{
		Subject: taskID, Scope: scope.Set{scope.Execution},
		IssuedAt: t0, ExpiresAt: t0.Add(10 * time.Minute), AuthTime: t0,
	}
}

func mint(t testing.TB, iss *token.Issuer, c token.Claims) string {
	t.Helper()
	raw, err := iss.Mint(c)
	require.NoError(t, err)
	return string(raw)
}

// SECURITY.md "Reissue and exchange": which tokens get a successor in the
// Refreshed-API-Token header. The window of a 10-minute token opens 2
// minutes before exp.
func TestAttackReissue(t *testing.T) {
	t.Parallel()
	r, _, ext := reissueRig(t)
	due := t0.Add(9 * time.Minute)
	with := func(edit func(*token.Claims)) string {
		c := execClaims()
		edit(&c)
		return mint(t, r.issuer, c)
	}
	plain := with(func(*token.Claims) {})
	otherName, err := token.NewIssuer(token.IssuerConfig{Keys: r.key, Issuer: "https://" + canary + ".example", Audience: []string{audience}, Now: r.clock.Now})
	require.NoError(t, err)
	foreign := newRig(t, rigOpts{classes: allClasses, reissue: func(c *refresh.ReissuerConfig) { c.Issuer = otherName }})
	tests := []struct {
		name   string
		r      *rig // nil: r
		raw    string
		at     time.Time
		status int // the handler's; 0: 200
		want   bool
	}{
		{"control: execution token in its window", nil, plain, due, 0, true},
		{"control: first second of the window", nil, plain, t0.Add(8 * time.Minute), 0, true},
		{"before the window", nil, plain, t0.Add(8*time.Minute - time.Second), 0, false},
		// Only a currently valid execution token (now < `exp`, without
		// leeway) is reissued
		{"at exp, inside leeway", nil, plain, t0.Add(10 * time.Minute), 0, false},
		{"past exp, inside leeway", nil, plain, t0.Add(10*time.Minute + 9*time.Second), 0, false},
		// never workload or processor tokens
		{"workload token", nil, with(func(c *token.Claims) { c.Scope = scope.Set{scope.Workload}; c.AuthTime = time.Time{} }), due, 0, false},
		{"processor token", nil, with(func(c *token.Claims) {
			c.Scope, c.Subject, c.AuthTime = scope.Set{scope.Processor}, "dag-processor", time.Time{}
		}), due, 0, false},
		// never tokens from a foreign issuer or a key we do not hold
		{"foreign issuer", foreign, mint(t, foreign.issuer, execClaims()), due, 0, false},
		{"key we do not hold", nil, testkit.Sign(t, ext, testkit.Header("ES256", "ext", ""), r.claims(t, map[string]any{
			"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(10 * time.Minute).Unix(),
		}, `,"auth_time":`+strconv.FormatInt(t0.Unix(), 10))), due, 0, false},
		// never past `MaxChainAge` since `auth_time`
		{"chain at MaxChainAge", nil, with(func(c *token.Claims) { c.AuthTime = due.Add(-refresh.DefaultMaxChainAge) }), due, 0, false},
		{"control: chain a second younger", nil, with(func(c *token.Claims) { c.AuthTime = due.Add(-refresh.DefaultMaxChainAge + time.Second) }), due, 0, true},
		// a host hook may decline.
		{"hook declines", nil, with(func(c *token.Claims) { c.ID = "decline" }), due, 0, false},
		{"hook panics", nil, with(func(c *token.Claims) { c.ID = "panic" }), due, 0, false},
		// No reissue header on any error response.
		{"handler answers 409", nil, plain, due, http.StatusConflict, false},
		{"handler answers 500", nil, plain, due, http.StatusInternalServerError, false},
		{"handler answers 401", nil, plain, due, http.StatusUnauthorized, false},
		{"handler answers 404", nil, plain, due, http.StatusNotFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rr := tc.r
			if rr == nil {
				rr = r
			}
			rr.clock.Set(tc.at)
			rr.status.Store(int64(tc.status))
			defer rr.status.Store(0)
			rec := rr.serve(request("Bearer " + tc.raw))
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			require.Equal(t, want, rec.Code, "the token was refused")
			assert.Equal(t, tc.want, rec.Header().Get(refresh.DefaultHeader) != "", "reissued")
			rr.assertNoLeak(t, rec)
		})
	}
}

// SECURITY.md "Reissue and exchange": A reissued token keeps `iss`, `sub`,
// `aud` (same form), `scope`, `auth_time`; gets a new `jti`, `iat`, `exp`;
// is signed with the current key.
func TestAttackReissuedToken(t *testing.T) {
	t.Parallel()
	for _, aud := range [][]string{{audience}, {audience, "other-api"}} {
		t.Run(aud[len(aud)-1], func(t *testing.T) {
			t.Parallel()
			r, ring, _ := reissueRig(t)
			c := execClaims()
			c.Audience, c.AuthTime = aud, t0.Add(-time.Hour)
			c.Scope = scope.Set{scope.Execution, "connections:read"}
			old := mint(t, r.issuer, c)
			k2 := testkit.Key(t, jwks.ES256, "k2")
			require.NoError(t, ring.Rotate(k2))
			r.clock.Set(t0.Add(9 * time.Minute))

			rec := r.serve(request("Bearer " + old))
			require.Equal(t, http.StatusOK, rec.Code)
			fresh := rec.Header().Get(refresh.DefaultHeader)
			require.NotEmpty(t, fresh)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			before, err := r.v.Verify(t.Context(), old)
			require.NoError(t, err)
			after, err := r.v.Verify(t.Context(), fresh)
			require.NoError(t, err)

			assert.Equal(t, before.Issuer, after.Issuer)
			assert.Equal(t, before.Subject, after.Subject)
			assert.Equal(t, before.Audience, after.Audience)
			assert.Equal(t, testkit.Payload(t, old)["aud"], testkit.Payload(t, fresh)["aud"], "aud changed form")
			assert.Equal(t, before.Scope, after.Scope)
			assert.Equal(t, c.AuthTime, after.AuthTime)
			assert.NotEqual(t, before.ID, after.ID)
			assert.Equal(t, r.clock.Now(), after.IssuedAt)
			assert.Equal(t, r.clock.Now().Add(token.DefaultExecutionTTL), after.ExpiresAt)
			assert.Equal(t, "k2", after.KeyID(), "not signed with the current key")
		})
	}
}

// SECURITY.md "Reissue and exchange", for the run endpoint: only a valid
// workload token of ours starts a chain.
func TestAttackExchange(t *testing.T) {
	t.Parallel()
	r, _, ext := reissueRig(t)
	otherName, err := token.NewIssuer(token.IssuerConfig{Keys: r.key, Issuer: "https://" + canary + ".example", Audience: []string{audience}, Now: r.clock.Now})
	require.NoError(t, err)
	foreign, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: otherName, Now: r.clock.Now})
	require.NoError(t, err)
	workload := func(edit func(*token.Claims)) string {
		c := token.Claims{Subject: taskID, Scope: scope.Set{scope.Workload}, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		edit(&c)
		return mint(t, r.issuer, c)
	}
	tests := []struct {
		name    string
		re      *refresh.Reissuer // nil: the rig's
		raw     string
		at      time.Time
		wantErr error
		want    bool
	}{
		{"control: workload token", nil, workload(func(*token.Claims) {}), t0, nil, true},
		{"execution token, left to the middleware", nil, mint(t, r.issuer, execClaims()), t0, nil, false},
		// never workload or processor tokens are reissued: no processor
		// token starts a chain either
		{"processor token", nil, workload(func(c *token.Claims) { c.Scope, c.Subject = scope.Set{scope.Processor}, "dag-processor" }), t0, refresh.ErrNotExchangeable, false},
		// Only a currently valid ... token (now < `exp`, without leeway)
		{"workload token at exp, inside leeway", nil, workload(func(*token.Claims) {}), t0.Add(time.Hour), refresh.ErrNotExchangeable, false},
		// never tokens from a foreign issuer or a key we do not hold
		{"workload token of a foreign issuer", foreign, workload(func(*token.Claims) {}), t0, refresh.ErrNotExchangeable, false},
		{"workload token signed by a key we do not hold", nil, testkit.Sign(t, ext, testkit.Header("ES256", "ext", ""), r.claims(t, map[string]any{"scope": "workload"}, "")), t0, refresh.ErrNotExchangeable, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re := tc.re
			if re == nil {
				re = r.re
			}
			var exchangeErr error
			route := middleware.Authenticate(middleware.Config{Verifier: r.v, Classes: allClasses})(
				http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					if exchangeErr = re.Exchange(w, req); exchangeErr != nil {
						w.WriteHeader(http.StatusConflict)
					}
				}))
			r.clock.Set(tc.at)
			rec := httptest.NewRecorder()
			route.ServeHTTP(rec, request("Bearer "+tc.raw))
			if tc.wantErr != nil {
				require.ErrorIs(t, exchangeErr, tc.wantErr)
			} else {
				require.NoError(t, exchangeErr)
			}
			assert.Equal(t, tc.want, rec.Header().Get(refresh.DefaultHeader) != "", "handed out a token")
		})
	}
}

// malleate returns raw with its ES256 signature (r, s) replaced by (r, n-s),
// which verifies just the same.
func malleate(t testing.TB, raw string) string {
	t.Helper()
	h, p, s := testkit.Segments(t, raw)
	sig, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, sig, 64)
	n := elliptic.P256().Params().N
	high := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:]))
	out := append(sig[:32:32], high.FillBytes(make([]byte, 32))...)
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(out)
}

// SECURITY.md "Reissue and exchange": ECDSA signatures are malleable (a
// second valid signature exists for the same token): replay and revocation
// key on `jti`, never on the raw string. A verified-token cache keys on a
// keyed hash of the *whole* token, signature included (a hit must never skip
// the signature of a token it has not verified), and re-checks time claims
// on every hit.
func TestAttackMalleability(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{verify: func(c *token.VerifierConfig) { c.CacheSize = 64 }})
	tok := r.token(t, nil, "")
	twin := malleate(t, tok)
	require.NotEqual(t, tok, twin)
	h, p, s := testkit.Segments(t, tok)
	swap := "A"
	if s[10] == 'A' {
		swap = "B"
	}
	forged := h + "." + p + "." + s[:10] + swap + s[11:] // signature bits changed

	// verify also says how many key lookups it took: none on a cache hit.
	verify := func(raw string) (*token.Claims, int64, error) {
		before := r.lookups.Load()
		c, err := r.v.Verify(t.Context(), raw)
		return c, r.lookups.Load() - before, err
	}
	first, looked, err := verify(tok)
	require.NoError(t, err)
	assert.Equal(t, int64(1), looked)
	_, looked, err = verify(tok)
	require.NoError(t, err)
	assert.Zero(t, looked, "control: the same token again is a cache hit")

	// The twin is a valid signature the cache has not seen: verified in full.
	second, looked, err := verify(twin)
	require.NoError(t, err)
	assert.Equal(t, int64(1), looked, "the twin was served from the cache")
	// A replay check keyed on jti sees one token; one keyed on the string
	// would see two.
	assert.Equal(t, first.ID, second.ID)
	seen := map[string]bool{}
	for _, c := range []*token.Claims{first, second} {
		assert.Equal(t, c == second, seen[c.ID], "replay by jti")
		seen[c.ID] = true
	}

	// A signature the cache never verified is checked, though its claims
	// are cached under the original.
	_, looked, err = verify(forged)
	require.ErrorIs(t, err, token.ErrSignature)
	assert.Equal(t, int64(1), looked)

	// Time is checked on every hit.
	r.clock.Advance(5*time.Minute + token.DefaultLeeway)
	_, _, err = verify(tok)
	require.ErrorIs(t, err, token.ErrExpired)
	r.reject(t, tok, token.ErrExpired)
}

// SECURITY.md "JWKS client": the verified-token cache
// (VerifierConfig.CacheSize) flushes its entries when a key leaves the key
// set.
func TestAttackCachedTokenOfRemovedKey(t *testing.T) {
	t.Parallel()
	k2 := testkit.Key(t, jwks.ES256, "k2")
	r, srv, c, _ := cacheRig(t, nil, testkit.JWK(t, k2.Public(), ""))
	cached := newRig(t, rigOpts{clock: r.clock, key: r.key, keys: c, verify: func(vc *token.VerifierConfig) { vc.CacheSize = 64 }})
	byK2 := testkit.Sign(t, k2, testkit.Header("ES256", "k2", ""), cached.claims(t, nil, ""))
	cached.accept(t, byK2)
	cached.accept(t, byK2)
	srv.SetKeys(t, r.key.Public())
	require.NoError(t, c.Refresh(t.Context()))
	cached.reject(t, byK2, token.ErrUnknownKey)
}
