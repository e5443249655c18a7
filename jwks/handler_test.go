package jwks_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
)

// fetchSet GETs h and returns the decoded JWKs.
func fetchSet(t testing.TB, h http.Handler) []map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/jwks.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	return set.Keys
}

func setKIDs(set []map[string]any) []string {
	out := make([]string, 0, len(set))
	for _, m := range set {
		kid, _ := m["kid"].(string)
		out = append(out, kid)
	}
	return out
}

func serve(h http.Handler, method string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/.well-known/jwks.json", nil)
	for name, values := range header {
		req.Header[name] = values
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The served set holds RSA, EC and Ed25519 public keys and nothing private:
// no private member, no HMAC key at all.
func TestHandlerServesOnlyPublicKeys(t *testing.T) {
	t.Parallel()
	rsaSK := mustSigningKey(t, "rsa", "", rsaKey(t))
	ec, ed := testkit.Key(t, jwks.ES384, "ec"), testkit.Key(t, jwks.EdDSA, "ed")
	secret := secretOf(64)
	hs := mustSigningKey(t, "hs", jwks.HS512, secret)
	ring := newRing(t, rsaSK, time.Hour, authtest.NewClock(t0))
	for _, k := range []*jwks.SigningKey{ec, hs, ed} {
		require.NoError(t, ring.Publish(k))
	}
	srv := httptest.NewServer(jwks.Handler(ring, 0))
	t.Cleanup(srv.Close)

	res, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())

	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/jwk-set+json", res.Header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=300", res.Header.Get("Cache-Control"))
	etag := res.Header.Get("ETag")
	assert.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag, "strong, quoted")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(body, &set))
	assert.Equal(t, []string{"rsa", "ec", "ed"}, setKIDs(set.Keys))
	var ktys []any
	for _, m := range set.Keys {
		ktys = append(ktys, m["kty"])
		for _, p := range jwkPrivateMembers {
			assert.NotContains(t, m, p)
		}
	}
	assert.Equal(t, []any{"RSA", "EC", "OKP"}, ktys)
	for _, leak := range []string{
		`"hs"`, string(jwks.HS512), base64.RawURLEncoding.EncodeToString(secret), string(secret[:20]),
		base64.RawURLEncoding.EncodeToString(rsaKey(t).D.Bytes()[:32]),
	} {
		assert.NotContains(t, string(body), leak)
	}
}

func TestHandlerConditionalGet(t *testing.T) {
	t.Parallel()
	h := jwks.Handler(newRing(t, testkit.Key(t, jwks.ES256, "a"), time.Hour, authtest.NewClock(t0)), time.Minute)
	etag := serve(h, http.MethodGet, nil).Header().Get("ETag")
	require.NotEmpty(t, etag)
	tests := []struct {
		name   string
		values []string
		want   int
	}{
		{"same tag", []string{etag}, http.StatusNotModified},
		{"weak form of the tag", []string{"W/" + etag}, http.StatusNotModified},
		{"in a list", []string{`"old", ` + etag}, http.StatusNotModified},
		{"list without spaces", []string{`W/"x",` + etag + `,"y"`}, http.StatusNotModified},
		{"in a second field", []string{`"old"`, etag}, http.StatusNotModified},
		{"star", []string{"*"}, http.StatusNotModified},
		{"tag with a comma inside", []string{`"a,b", ` + etag}, http.StatusNotModified},
		{"other tag", []string{`"other"`}, http.StatusOK},
		{"tag without quotes", []string{strings.Trim(etag, `"`)}, http.StatusOK},
		{"tag as prefix", []string{strings.TrimSuffix(etag, `"`) + `x"`}, http.StatusOK},
		{"unterminated", []string{strings.TrimSuffix(etag, `"`)}, http.StatusOK},
		{"after a malformed element", []string{`junk, ` + etag}, http.StatusOK},
		{"empty", []string{""}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := serve(h, http.MethodGet, http.Header{"If-None-Match": tc.values})
			assert.Equal(t, tc.want, rec.Code)
			assert.Equal(t, etag, rec.Header().Get("ETag"))
			assert.Equal(t, "public, max-age=60", rec.Header().Get("Cache-Control"))
			if tc.want == http.StatusNotModified {
				assert.Empty(t, rec.Body.Bytes())
			} else {
				assert.NotEmpty(t, rec.Body.Bytes())
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	t.Parallel()
	h := jwks.Handler(newRing(t, testkit.Key(t, jwks.ES256, "a"), time.Hour, authtest.NewClock(t0)), 0)
	get := serve(h, http.MethodGet, nil)

	head := serve(h, http.MethodHead, nil)
	assert.Equal(t, http.StatusOK, head.Code)
	assert.Empty(t, head.Body.Bytes())
	assert.Equal(t, get.Header().Get("ETag"), head.Header().Get("ETag"))
	assert.Equal(t, "application/jwk-set+json", head.Header().Get("Content-Type"))
	assert.Equal(t, get.Header().Get("Content-Length"), head.Header().Get("Content-Length"))

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := serve(h, m, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"), m)
		assert.NotContains(t, rec.Body.String(), `"keys"`, m)
	}
}

func TestHandlerMaxAge(t *testing.T) {
	t.Parallel()
	set, err := jwks.NewStatic(testkit.Key(t, jwks.ES256, "a").Public())
	require.NoError(t, err)
	for maxAge, want := range map[time.Duration]string{
		0: "public, max-age=300", 90 * time.Second: "public, max-age=90", 1500 * time.Millisecond: "public, max-age=1",
	} {
		rec := serve(jwks.Handler(set, maxAge), http.MethodGet, nil)
		assert.Equal(t, want, rec.Header().Get("Cache-Control"), maxAge)
	}
	assert.PanicsWithValue(t, "jwks: Handler with negative maxAge", func() { jwks.Handler(set, -time.Second) })
	assert.PanicsWithValue(t, "jwks: Handler with nil keys", func() { jwks.Handler(nil, 0) })
}

// countingKeys counts how often the handler asks for the keys.
type countingKeys struct {
	keys  []jwks.Key
	gen   atomic.Uint64
	calls atomic.Int64
}

func (c *countingKeys) PublicKeys() []jwks.Key { c.calls.Add(1); return c.keys }
func (c *countingKeys) Generation() uint64     { return c.gen.Load() }

func TestHandlerEncodesOncePerGeneration(t *testing.T) {
	t.Parallel()
	keys := &countingKeys{keys: []jwks.Key{testkit.Key(t, jwks.ES256, "a").Public()}}
	h := jwks.Handler(keys, 0)
	etag := serve(h, http.MethodGet, nil).Header().Get("ETag")
	for range 10 {
		assert.Equal(t, etag, serve(h, http.MethodGet, nil).Header().Get("ETag"))
	}
	assert.Equal(t, int64(1), keys.calls.Load())

	keys.gen.Add(1)
	assert.Equal(t, etag, serve(h, http.MethodGet, nil).Header().Get("ETag"), "same keys, same tag")
	assert.Equal(t, int64(2), keys.calls.Load())
}

func TestHandlerFollowsKeyring(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	ring := newRing(t, testkit.Key(t, jwks.ES256, "a"), time.Hour, clock)
	h := jwks.Handler(ring, 0)
	first := serve(h, http.MethodGet, nil).Header().Get("ETag")

	require.NoError(t, ring.Rotate(testkit.Key(t, jwks.ES256, "b")))
	rotated := serve(h, http.MethodGet, http.Header{"If-None-Match": {first}})
	assert.Equal(t, http.StatusOK, rotated.Code, "a stale tag gets the new set")
	assert.NotEqual(t, first, rotated.Header().Get("ETag"))
	assert.Equal(t, []string{"b", "a"}, setKIDs(fetchSet(t, h)))

	clock.Advance(time.Hour)
	assert.Equal(t, []string{"b"}, setKIDs(fetchSet(t, h)), "dropped by the clock")
}

// A key set that offers an HMAC secret gets 500, not a partial set and
// never the secret.
func TestHandlerRefusesSecrets(t *testing.T) {
	t.Parallel()
	secret := secretOf(32)
	keys := &countingKeys{keys: []jwks.Key{testkit.Key(t, jwks.ES256, "a").Public(), mustKey(t, "h", jwks.HS256, secret)}}
	rec := serve(jwks.Handler(keys, 0), http.MethodGet, nil)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Empty(t, rec.Header().Get("ETag"))
	assert.NotContains(t, rec.Body.String(), string(secret[:20]))
	assert.NotContains(t, rec.Body.String(), base64.RawURLEncoding.EncodeToString(secret))
	assert.NotContains(t, rec.Body.String(), `"keys"`)
}
