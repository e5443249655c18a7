package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// claimsOut is the part of verify's output the tests look at.
type claimsOut struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Aud   any    `json:"aud"`
	Scope string `json:"scope"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
}

func parseClaims(t testing.TB, stdout string) claimsOut {
	t.Helper()
	var c claimsOut
	require.NoError(t, json.Unmarshal([]byte(stdout), &c), stdout)
	return c
}

// TestRoundTrip runs keygen → jwks → mint → verify for every keygen
// algorithm; HMAC keys carry Airflow's kid "not-used" and are verified with
// -key, as a secret is never in a JWK Set.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range keygenAlgs {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			key, _ := keygen(t, dir, alg)
			flags := []string{"-ttl", "5m"}
			verifyKey := []string{"verify", "-key", key, "-iss", testIss, "-aud", testAud}
			if alg == jwks.HS512 {
				flags = append(flags, "-kid", "not-used")
				verifyKey = append(verifyKey, "-kid", "not-used")
			}
			m := mintCLI(t, key, "execution", taskA.String(), flags...)
			require.NoError(t, m.err, m.stderr)
			raw := strings.TrimSpace(m.stdout)
			assert.Equal(t, raw+"\n", m.stdout, "one token, one line")

			verifies := [][]string{verifyKey}
			if alg != jwks.HS512 {
				set := runCLI(t, "", "jwks", "-key", key)
				require.NoError(t, set.err)
				setFile := writeFile(t, dir, "jwks.json", []byte(set.stdout))
				verifies = append(verifies, []string{"verify", "-jwks", setFile, "-iss", testIss, "-aud", testAud})
				// A PKIX public key file, which is what a verifier is given.
				sk, err := jwks.ReadSigningKey(key, "", "")
				require.NoError(t, err)
				pub, err := jwks.MarshalPublic(sk.Public())
				require.NoError(t, err)
				pubFile := writeFile(t, dir, "public.pem", pub)
				verifies = append(verifies, []string{"verify", "-key", pubFile, "-iss", testIss, "-aud", testAud})
			}
			for _, v := range verifies {
				r := runCLI(t, "", append(v, "-class", "execution", raw)...)
				require.NoError(t, r.err, r.stderr)
				c := parseClaims(t, r.stdout)
				assert.Equal(t, testIss, c.Iss)
				assert.Equal(t, taskA.String(), c.Sub)
				assert.Equal(t, testAud, c.Aud)
				assert.Equal(t, "execution", c.Scope)
				assert.Equal(t, int64(300), c.Exp-c.Iat, "-ttl 5m")
				assert.Empty(t, r.stderr)
			}
		})
	}
}

func TestHMACNeedsTheKid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := keygen(t, dir, jwks.HS512)
	m := mintCLI(t, key, "workload", taskA.String(), "-kid", "not-used")
	require.NoError(t, m.err)
	r := runCLI(t, m.stdout, "verify", "-key", key, "-iss", testIss, "-aud", testAud)
	require.ErrorIs(t, r.err, token.ErrUnknownKey, "the key's default id is not the token's kid")
	assert.Contains(t, r.stderr, "(unknown_key)")
	assert.Empty(t, r.stdout)
}

func TestMintProcessorToFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, kid := keygen(t, dir, jwks.ES256)
	out := filepath.Join(dir, "processor.token")
	m := runCLI(t, "", "mint", "-key", key, "-iss", testIss, "-aud", testAud+",other-api", "-class", "processor", "-sub", "dag-processor", "-out", out)
	require.NoError(t, m.err, m.stderr)
	assert.Empty(t, m.stdout, "the token goes to the file only")
	info, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "\n"))

	// Read from stdin ("-"), surrounding whitespace trimmed.
	r := runCLI(t, "\n  "+string(data)+"\t\n", "verify", "-key", key, "-iss", testIss, "-aud", "other-api", "-class", "processor", "-")
	require.NoError(t, r.err, r.stderr)
	c := parseClaims(t, r.stdout)
	assert.Equal(t, "dag-processor", c.Sub)
	assert.Equal(t, []any{testAud, "other-api"}, c.Aud, "two audiences make an array")
	assert.Equal(t, int64(24*3600), c.Exp-c.Iat, "processor default lifetime")

	// The header names the key.
	header, err := base64.RawURLEncoding.DecodeString(strings.Split(strings.TrimSpace(string(data)), ".")[0])
	require.NoError(t, err)
	assert.Contains(t, string(header), `"kid":"`+kid+`"`)
}

func TestMintWarnsAboutLongTTL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := keygen(t, dir, jwks.EdDSA)
	m := mintCLI(t, key, "execution", taskA.String(), "-ttl", "1h")
	require.NoError(t, m.err)
	assert.Contains(t, m.stderr, "warning: -ttl exceeds the execution default of 10m0s")
	r := runCLI(t, m.stdout, "verify", "-key", key, "-iss", testIss, "-aud", testAud)
	require.ErrorIs(t, r.err, token.ErrLifetime, "verify applies the default lifetime bound")
}

// TestVerifyRejects feeds verify hostile and invalid tokens: each must exit 1
// with its class on stderr, print nothing on stdout, and echo nothing of the
// token.
func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile, _ := keygen(t, dir, jwks.ES256)
	key, err := jwks.ReadSigningKey(keyFile, "", "")
	require.NoError(t, err)
	otherFile, _ := keygen(t, dir, jwks.ES256)
	other, err := jwks.ReadSigningKey(otherFile, "", "")
	require.NoError(t, err)
	now := time.Now().Truncate(time.Second)
	iss := issuerAt(t, key, now)
	good, err := iss.Execution(taskA)
	require.NoError(t, err)
	parts := strings.Split(string(good), ".")

	expired, err := issuerAt(t, key, now.Add(-time.Hour)).Execution(taskA)
	require.NoError(t, err)
	future, err := issuerAt(t, key, now.Add(time.Hour)).Execution(taskA)
	require.NoError(t, err)
	foreign, err := issuerAt(t, other, now).Execution(taskA)
	require.NoError(t, err)
	wrongIss, err := iss.Mint(token.Claims{Issuer: "someone-else", Subject: taskA.String(), Scope: scope.Set{scope.Execution}})
	require.NoError(t, err)
	wrongAud, err := iss.Mint(token.Claims{Audience: []string{"other-api"}, Subject: taskA.String(), Scope: scope.Set{scope.Execution}})
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	forgedPayload := strings.Replace(string(payload), `"scope":"execution"`, `"scope":"workload"`, 1)
	require.NotEqual(t, string(payload), forgedPayload)
	sig := []byte(parts[2])
	if mid := len(sig) / 2; sig[mid] == 'A' {
		sig[mid] = 'B'
	} else {
		sig[mid] = 'A'
	}

	for _, tc := range []struct {
		name, raw, class string
		wantErr          error
		extra            []string
	}{
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(sig), "signature", token.ErrSignature, nil},
		{"tampered claims", parts[0] + "." + b64([]byte(forgedPayload)) + "." + parts[2], "signature", token.ErrSignature, nil},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", "", nil, nil},
		{"expired", string(expired), "expired", token.ErrExpired, nil},
		{"issued in the future", string(future), "not_yet_valid", token.ErrNotYetValid, nil},
		{"another key", string(foreign), "unknown_key", token.ErrUnknownKey, nil},
		{"wrong issuer", string(wrongIss), "issuer", token.ErrIssuer, nil},
		{"wrong audience", string(wrongAud), "audience", token.ErrAudience, nil},
		{"JWE-shaped", string(good) + ".a.b", "malformed", token.ErrMalformed, nil},
		{"empty", "", "malformed", token.ErrMalformed, nil},
		{"other class", string(good), "class", errClass, []string{"-class", "workload"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify", "-key", keyFile, "-iss", testIss, "-aud", testAud}, tc.extra...)
			r := runCLI(t, tc.raw, append(args, "-")...)
			require.ErrorIs(t, r.err, errRejected)
			assert.Equal(t, 1, exitCode(r.err))
			if tc.wantErr != nil {
				require.ErrorIs(t, r.err, tc.wantErr)
			}
			if tc.class != "" {
				assert.Contains(t, r.stderr, "token rejected ("+tc.class+")")
			}
			assert.Empty(t, r.stdout, "no claims of a rejected token")
			assert.NotRegexp(t, jwsPattern, r.stderr)
			for _, p := range strings.Split(tc.raw, ".") {
				if len(p) > 8 {
					assert.NotContains(t, r.stderr, p, "no part of the token echoed")
				}
			}
		})
	}
}

func TestVerifyRemoteJWKS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile, _ := keygen(t, dir, jwks.EdDSA)
	set := runCLI(t, "", "jwks", "-key", keyFile)
	require.NoError(t, set.err)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(set.stdout))
	}))
	t.Cleanup(srv.Close)
	m := mintCLI(t, keyFile, "workload", taskB.String())
	require.NoError(t, m.err)

	r := runCLI(t, "", "verify", "-jwks", srv.URL+"/jwks.json", "-iss", testIss, "-aud", testAud, strings.TrimSpace(m.stdout))
	require.NoError(t, r.err, r.stderr)
	assert.Equal(t, taskB.String(), parseClaims(t, r.stdout).Sub)
	assert.Equal(t, int32(1), hits.Load(), "one fetch")

	// The same token, with the key set unreachable: keys unavailable, not a
	// bad token.
	srv.Close()
	r = runCLI(t, "", "verify", "-jwks", srv.URL+"/jwks.json", "-iss", testIss, "-aud", testAud, strings.TrimSpace(m.stdout))
	require.ErrorIs(t, r.err, jwks.ErrKeysUnavailable)
	assert.Equal(t, 1, exitCode(r.err))
	assert.Empty(t, r.stdout)
}

func TestVerifyReportsSkippedKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile, _ := keygen(t, dir, jwks.EdDSA)
	set := runCLI(t, "", "jwks", "-key", keyFile)
	require.NoError(t, set.err)
	// An HMAC key in a JWK Set is never used.
	withOct := strings.Replace(set.stdout, `{"keys":[`, `{"keys":[{"kty":"oct","kid":"hs","k":"`+strings.Repeat("A", 86)+`"},`, 1)
	setFile := writeFile(t, dir, "jwks.json", []byte(withOct))
	m := mintCLI(t, keyFile, "execution", taskA.String())
	require.NoError(t, m.err)
	r := runCLI(t, m.stdout, "verify", "-jwks", setFile, "-iss", testIss, "-aud", testAud)
	require.NoError(t, r.err)
	assert.Contains(t, r.stderr, "JWK Set:", "the skipped key is reported")
}
