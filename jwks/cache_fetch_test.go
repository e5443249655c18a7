package jwks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// streamBody answers 200 with a JSON-looking body of n bytes, written in
// chunks so that the test never holds it; it stops when the client goes.
func streamBody(n int, declare bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if declare {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		_, _ = w.Write([]byte(`{"keys":[`))
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
				return
			}
		}
	}
}

// TestCacheFetchFailuresKeepKeys serves a good set, then breaks the server
// in each way SECURITY.md "JWKS client" names: every refresh fails and is
// reported, and the key fetched before keeps verifying.
func TestCacheFetchFailuresKeepKeys(t *testing.T) {
	t.Parallel()
	other := testkit.NewKeyServer(t) // a second host, which must never be asked

	tests := []struct {
		name    string
		handler http.HandlerFunc
		path    string // of the Cache URL on the stub; "" for the root
	}{
		{name: "500", handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"keys":[]}`, http.StatusInternalServerError)
		}},
		{name: "HTML", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>maintenance</body></html>"))
		}},
		{name: "invalid JSON", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"EC"`))
		}},
		{name: "keys null", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":null}`))
		}},
		{name: "50 MB streamed", handler: streamBody(50<<20, false)},
		{name: "50 MB declared", handler: streamBody(50<<20, true)},
		{name: "slow drip past the timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			for range 100 {
				_, _ = w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}},
		{name: "redirect to another host", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/jwks", http.StatusFound)
		}},
		{name: "redirect to another scheme", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://"+r.Host+"/jwks", http.StatusFound)
		}},
		{name: "redirect loop", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCacheEnv(t, jwks.CacheConfig{Timeout: 500 * time.Millisecond})
			v := e.verifier(t)
			raw := e.mint(t, e.key)
			gen := e.cache.Generation()

			e.srv.SetHandler(tc.handler)
			start := time.Now()
			err := e.cache.Refresh(context.Background())
			require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
			assert.Less(t, time.Since(start), 2*time.Second)
			assert.Equal(t, 1, e.errs.Count(jwks.ErrKeysUnavailable), "reported once")

			_, err = v.Verify(context.Background(), raw)
			assert.NoError(t, err, "last good key kept")
			assert.Equal(t, gen, e.cache.Generation())
			assert.NoError(t, e.cache.Ready())
		})
	}
	assert.Zero(t, other.Hits.Load(), "the other host was asked")
}

func TestCacheFollowsRedirectOnSameHost(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "")
	srv := testkit.NewKeyServer(t, sk.Public())
	body, err := jwks.MarshalSet(sk.Public())
	require.NoError(t, err)
	srv.SetHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/jwks", http.StatusMovedPermanently)
			return
		}
		_, _ = w.Write(body)
	})
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: []string{srv.URL + "/old"}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	assert.Equal(t, []string{sk.ID()}, kids(c.PublicKeys()))
	assert.EqualValues(t, 2, srv.Hits.Load())
}

// TestCacheOutageBeyondMaxStale lets fetches fail: the keys keep verifying
// until MaxStale, then every lookup fails with "keys unavailable" (503, not
// 401), and the first good fetch brings them back.
func TestCacheOutageBeyondMaxStale(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{MaxStale: 10 * time.Minute})
	v := e.verifier(t)
	raw := e.mint(t, e.key)
	gen := e.cache.Generation()
	e.srv.SetHandler(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })

	e.clock.Advance(10*time.Minute - time.Second)
	require.ErrorIs(t, e.cache.Refresh(context.Background()), jwks.ErrKeysUnavailable)
	_, err := v.Verify(context.Background(), raw)
	require.NoError(t, err, "within MaxStale")
	require.NoError(t, e.cache.Ready())

	e.clock.Advance(time.Second)
	_, err = v.Verify(context.Background(), raw)
	require.ErrorIs(t, err, token.ErrKeysUnavailable)
	_, err = e.cache.LookupKey(context.Background(), e.key.ID(), jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	_, err = e.cache.LookupKey(context.Background(), "", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable, "a token without kid too")
	require.ErrorIs(t, e.cache.Ready(), jwks.ErrKeysUnavailable)
	assert.Empty(t, e.cache.PublicKeys())
	assert.NotEqual(t, gen, e.cache.Generation(), "the usable set changed")

	e.srv.SetKeys(t, e.key.Public())
	require.NoError(t, e.cache.Refresh(context.Background()))
	_, err = v.Verify(context.Background(), raw)
	assert.NoError(t, err, "recovered")
	assert.NoError(t, e.cache.Ready())
}

func TestCacheStartWithoutKeys(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "")
	srv := testkit.NewKeyServer(t, sk.Public())
	srv.SetHandler(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	clock := authtest.NewClock(t0)
	var errs testkit.Errors
	cfg := jwks.CacheConfig{URLs: []string{srv.URL}, Now: clock.Now, Logger: testkit.ErrorLogger(errs.Add)}

	c, err := jwks.NewCache(context.Background(), cfg)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable, "without StartWithoutKeys")
	assert.Nil(t, c)

	cfg.StartWithoutKeys = true
	c, err = jwks.NewCache(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	assert.Equal(t, 2, errs.Count(jwks.ErrKeysUnavailable))
	require.ErrorIs(t, c.Ready(), jwks.ErrKeysUnavailable)
	_, err = c.LookupKey(context.Background(), sk.ID(), jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	v, err := token.NewVerifier(token.VerifierConfig{Keys: c, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now})
	require.NoError(t, err)
	iss, err := token.NewIssuer(token.IssuerConfig{Keys: sk, Issuer: "iss", Audience: []string{"aud"}, Now: clock.Now})
	require.NoError(t, err)
	raw, err := iss.Processor("dag-processor")
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), string(raw))
	require.ErrorIs(t, err, token.ErrKeysUnavailable)

	srv.SetKeys(t, sk.Public())
	require.NoError(t, c.Refresh(context.Background()))
	_, err = v.Verify(context.Background(), string(raw))
	assert.NoError(t, err)
	assert.NoError(t, c.Ready())
}

// TestCacheNeverDereferencesKeyURLs signs tokens whose headers point at a
// server the attacker controls (jku, x5u) or carry a key (jwk, x5c), and
// serves a JWK with an x5u: verification asks that server nothing and
// judges each token by the cache's keys alone.
func TestCacheNeverDereferencesKeyURLs(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, jwks.CacheConfig{})
	evil := testkit.NewKeyServer(t)
	attacker := testkit.Key(t, jwks.ES256, "")
	evil.SetKeys(t, attacker.Public())
	attackerJWK, err := json.Marshal(attacker.Public())
	require.NoError(t, err)
	var served []json.RawMessage
	own, err := json.Marshal(e.key.Public())
	require.NoError(t, err)
	withX5U := bytes.Replace(own, []byte(`{`), []byte(`{"x5u":"`+evil.URL+`/cert.pem",`), 1)
	served = append(served, withX5U)
	body, err := json.Marshal(map[string]any{"keys": served})
	require.NoError(t, err)
	e.srv.SetBody(body)
	require.NoError(t, e.cache.Refresh(context.Background()))
	v := e.verifier(t)

	headers := map[string]any{
		"jku": evil.URL + "/jwks",
		"x5u": evil.URL + "/cert.pem",
		"jwk": json.RawMessage(attackerJWK),
		"x5c": []string{"MIIBkTCB+wIJAK"},
	}
	now := e.clock.Now()
	sign := func(k *jwks.SigningKey) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "iss", "aud": "aud", "sub": uuid.NewString(), "scope": "execution",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		})
		tok.Header["kid"] = k.ID()
		for name, v := range headers {
			tok.Header[name] = v
		}
		raw, err := tok.SignedString(k.Private())
		require.NoError(t, err)
		return raw
	}

	_, err = v.Verify(context.Background(), sign(e.key))
	require.NoError(t, err, "our key's token verifies whatever its headers say")
	_, err = v.Verify(context.Background(), sign(attacker))
	require.ErrorIs(t, err, token.ErrUnknownKey, "the attacker's key is not ours")
	assert.Zero(t, evil.Hits.Load())
}

func TestCacheBodyLimitIsExact(t *testing.T) {
	t.Parallel()
	sk := testkit.Key(t, jwks.ES256, "")
	body, err := jwks.MarshalSet(sk.Public())
	require.NoError(t, err)
	tests := []struct {
		name    string
		limit   int64
		wantErr error
	}{
		{name: "body of the limit", limit: int64(len(body))},
		{name: "one byte over", limit: int64(len(body)) - 1, wantErr: jwks.ErrKeysUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := testkit.NewKeyServer(t)
			srv.SetBody(body)
			c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{URLs: []string{srv.URL}, MaxBodySize: tc.limit, Logger: slog.New(slog.DiscardHandler)})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			t.Cleanup(c.Close)
			assert.Equal(t, []string{sk.ID()}, kids(c.PublicKeys()))
		})
	}
}

// TestCachePartialOutage has two URLs, one of which stops answering: its
// keys go past MaxStale while the other's keep verifying, and a kid found
// nowhere is "keys unavailable" (it may be in the missing set), not unknown.
func TestCachePartialOutage(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	a, b := testkit.Key(t, jwks.ES256, ""), testkit.Key(t, jwks.ES256, "")
	srvA, srvB := testkit.NewKeyServer(t, a.Public()), testkit.NewKeyServer(t, b.Public())
	c, err := jwks.NewCache(context.Background(), jwks.CacheConfig{
		URLs: []string{srvA.URL, srvB.URL}, MaxStale: 10 * time.Minute, Now: clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	srvB.SetHandler(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	clock.Advance(6 * time.Minute)
	require.ErrorIs(t, c.Refresh(context.Background()), jwks.ErrKeysUnavailable, "B failed")
	clock.Advance(5 * time.Minute) // B is 11 min old, A 5 min

	_, err = c.LookupKey(context.Background(), a.ID(), jwks.ES256)
	require.NoError(t, err)
	_, err = c.LookupKey(context.Background(), b.ID(), jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	_, err = c.LookupKey(context.Background(), "elsewhere", jwks.ES256)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.ErrorIs(t, c.Ready(), jwks.ErrKeysUnavailable)
	assert.Equal(t, []string{a.ID()}, kids(c.PublicKeys()))
}
