package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/airflowvec"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// runCLIAt runs the CLI with its clock pinned to now.
func runCLIAt(t testing.TB, now time.Time, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, now: func() time.Time { return now }}
	err := c.run(context.Background(), args)
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// airflowArgs are the verify flags for a PyJWT vector: its secret as text or
// its JWK Set, its issuer and audience, and the opt-ins Airflow's tokens
// need when compatible.
func airflowArgs(t testing.TB, doc *airflowvec.Doc, v airflowvec.Verify, compatible bool) []string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"verify", "-aud", strings.Join(v.Audience, ",")}
	if v.KeySource == "secret" {
		args = append(args, "-key", writeFile(t, dir, "jwt_secret", []byte(doc.Secrets[v.Secret].Text+"\n")), "-secret-text")
		if compatible {
			args = append(args, "-insecure-short-secret")
		}
	} else {
		args = append(args, "-jwks", writeFile(t, dir, "jwks.json", doc.Keys[v.Key].JWKS))
	}
	if v.Issuer != nil {
		return append(args, "-iss", *v.Issuer)
	}
	args = append(args, "-iss", doc.Constants.Issuer)
	if compatible {
		args = append(args, "-insecure-accept-missing-iss", "-accept-missing-scope")
	}
	return args
}

// execauth verify takes each PyJWT vector as Airflow does with the
// compatibility flags, and refuses the ones that need them without.
func TestVerifyAirflowVectors(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	for _, v := range doc.Tokens {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			r := runCLIAt(t, v.Verify.Time(), append(airflowArgs(t, doc, v.Verify, true), v.Token)...)
			if v.Expect.Result == "accept" {
				require.NoError(t, r.err, r.stderr)
				var claims map[string]any
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &claims))
				var want map[string]any
				require.NoError(t, json.Unmarshal(v.Claims, &want))
				assert.Equal(t, want["sub"], claims["sub"])
				assert.Equal(t, want["exp"], claims["exp"])
			} else {
				require.ErrorIs(t, r.err, errRejected, r.stderr)
			}
			assert.NotRegexp(t, jwsPattern, r.stderr)

			if v.Expect.Result != "accept" {
				return
			}
			strict := runCLIAt(t, v.Verify.Time(), append(airflowArgs(t, doc, v.Verify, false), v.Token)...)
			require.Error(t, strict.err, "the defaults refuse an Airflow token: a short secret, no iss or no scope")
			if v.Verify.KeySource == "secret" && len(doc.Secrets[v.Verify.Secret].Text) < 64 {
				require.ErrorIs(t, strict.err, jwks.ErrWeakKey)
			}
		})
	}
}

// A secret read as text signs and verifies with its UTF-8 bytes: execauth
// mint and Airflow's validator agree, with Airflow's generated secret only
// through -insecure-short-secret, which warns.
func TestMintWithAirflowSecret(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	now := time.Unix(doc.Constants.IAT, 0)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "airflow.cfg.secret", []byte(doc.Secrets["airflow_cfg_24"].Text+"\n"))
	args := []string{"mint", "-key", cfg, "-secret-text", "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience,
		"-class", "execution", "-sub", doc.Constants.Sub}

	r := runCLIAt(t, now, args...)
	require.ErrorIs(t, r.err, jwks.ErrWeakKey, "a 24-byte secret is refused by default")

	r = runCLIAt(t, now, append(args, "-insecure-short-secret")...)
	require.NoError(t, r.err, r.stderr)
	assert.Contains(t, r.stderr, "InsecureShortSecret")
	assert.Contains(t, r.stderr, "bytes=24")
	assert.NotContains(t, r.stderr, doc.Secrets["airflow_cfg_24"].Text)
	raw := strings.TrimSpace(r.stdout)
	_, err = doc.Validate(raw, airflowvec.Verify{
		KeySource: "secret", Secret: "airflow_cfg_24", Algorithms: []string{"HS512"},
		Audience: []string{doc.Constants.Audience}, Leeway: 10, Required: []string{"aud", "exp", "iat"}, Now: doc.Constants.IAT,
	})
	require.NoError(t, err, "Airflow's validator accepts it")

	// A generated text secret is long enough without the opt-in, and is the
	// text Airflow's jwt_secret takes.
	path := filepath.Join(dir, "jwt_secret")
	kg := runCLI(t, "", "keygen", "-alg", "HS512", "-secret-text", "-out", path)
	require.NoError(t, kg.err, kg.stderr)
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	secret := strings.TrimSpace(string(text))
	assert.Len(t, secret, 64)
	m := runCLIAt(t, now, "mint", "-key", path, "-secret-text", "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience,
		"-class", "workload", "-sub", doc.Constants.Sub)
	require.NoError(t, m.err, m.stderr)
	own := &airflowvec.Doc{Secrets: map[string]airflowvec.Secret{"s": {Text: secret}}}
	_, err = own.Validate(strings.TrimSpace(m.stdout), airflowvec.Verify{
		KeySource: "secret", Secret: "s", Audience: []string{doc.Constants.Audience}, Leeway: 10,
		Required: []string{"aud", "exp", "iat"}, Now: doc.Constants.IAT,
	})
	require.NoError(t, err)
	v := runCLIAt(t, now, "verify", "-key", path, "-secret-text", "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience,
		"-class", "workload", strings.TrimSpace(m.stdout))
	require.NoError(t, v.err, v.stderr)
	d := runCLIAt(t, now, "verify", "-key", path, "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience, strings.TrimSpace(m.stdout))
	require.ErrorIs(t, d.err, jwks.ErrWeakKey, "read as base64url, the text is a 48-byte key: refused, never a silent mismatch")
}

// -airflow-kid names an RSA key the way Airflow does: keygen prints it, mint
// puts it in the header (Airflow's own key set then verifies the token), and
// jwks publishes it.
func TestAirflowKIDFlag(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	want := *doc.Keys["rsa2048"].AirflowKID
	pem := doc.PEMPath("rsa2048")
	now := time.Unix(doc.Constants.IAT, 0)

	r := runCLIAt(t, now, "mint", "-key", pem, "-airflow-kid", "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience,
		"-class", "execution", "-sub", doc.Constants.Sub)
	require.NoError(t, r.err, r.stderr)
	raw := strings.TrimSpace(r.stdout)
	header, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"RS256","kid":"`+want+`","typ":"JWT"}`, string(header))
	_, err = doc.Validate(raw, airflowvec.Verify{
		KeySource: "jwks", Key: "rsa2048", Algorithms: []string{"RS256"}, Audience: []string{doc.Constants.Audience},
		Leeway: 10, Required: []string{"aud", "exp", "iat"}, Now: doc.Constants.IAT,
	})
	require.NoError(t, err, "Airflow's key set for the same private key verifies it")

	v := runCLIAt(t, now, "verify", "-key", pem, "-airflow-kid", "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience, raw)
	require.NoError(t, v.err, v.stderr)
	v = runCLIAt(t, now, "verify", "-key", pem, "-iss", doc.Constants.Issuer, "-aud", doc.Constants.Audience, raw)
	require.ErrorIs(t, v.err, token.ErrUnknownKey, "under its RFC 7638 id the key does not match Airflow's kid")

	set := runCLI(t, "", "jwks", "-key", pem, "-airflow-kid")
	require.NoError(t, set.err, set.stderr)
	keys, _, err := jwks.ParseSet([]byte(set.stdout))
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, want, keys[0].ID())

	path := filepath.Join(t.TempDir(), "rsa.pem")
	kg := runCLI(t, "", "keygen", "-alg", "RS256", "-airflow-kid", "-out", path)
	require.NoError(t, kg.err, kg.stderr)
	sk, err := jwks.ReadSigningKey(path, "", "")
	require.NoError(t, err)
	kid, err := jwks.AirflowKID(sk.Private())
	require.NoError(t, err)
	assert.Equal(t, kid, strings.TrimSpace(kg.stdout))
	assert.NotEqual(t, sk.ID(), kid)
}

func TestAirflowFlagUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := keygen(t, dir, jwks.EdDSA)
	mint := []string{"mint", "-key", key, "-iss", "i", "-aud", "a", "-class", "processor", "-sub", "p"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"short secret without text", append(mint, "-insecure-short-secret"), "-insecure-short-secret goes with -secret-text"},
		{"two kids", append(mint, "-kid", "k", "-airflow-kid"), "at most one of -kid and -airflow-kid"},
		{"airflow kid of a secret", append(mint, "-secret-text", "-airflow-kid"), "Airflow's HMAC tokens carry no kid"},
		{"keygen text secret of EdDSA", []string{"keygen", "-alg", "EdDSA", "-secret-text"}, "-secret-text goes with -alg HS512"},
		{"keygen airflow kid of ES256", []string{"keygen", "-alg", "ES256", "-airflow-kid"}, "-airflow-kid goes with -alg RS256 or EdDSA"},
		{"verify text secret with jwks", []string{"verify", "-jwks", key, "-secret-text", "-iss", "i", "-aud", "a", "x.y.z"}, "go with -key"},
		{"serve short secret without text", []string{"serve", "-key", key, "-iss", "i", "-aud", "a", "-insecure-short-secret"}, "goes with -secret-text"},
	} {
		r := runCLI(t, "", tc.args...)
		require.ErrorIs(t, r.err, errUsage, tc.name)
		assert.Contains(t, r.stderr, tc.want, tc.name)
	}
}
