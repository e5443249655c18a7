package refresh_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/airflowvec"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

var updateAirflow = flag.Bool("update-airflow", false, "rewrite testdata/airflow/execauth.json from what execauth mints now")

// execauthVectorsFile holds tokens minted here for Airflow's validator; its
// README tells how to check them with PyJWT.
const execauthVectorsFile = "execauth.json"

// airflowMinter mints the vectors of execauth.json: every time fixed, every
// jti from the vector's name, so that a rerun gives the same file (ES256
// signatures aside, which are randomized).
type airflowMinter struct {
	t   testing.TB
	doc *airflowvec.Doc
	out *airflowvec.Doc
}

// mintEnv is an issuer, a verifier and a reissuer on one key and a fixed
// clock, configured as an execauth server that serves Airflow workers.
type mintEnv struct {
	issuer   *token.Issuer
	verifier *token.Verifier
	re       *refresh.Reissuer
	now      time.Time
}

// deterministic is the jti randomness of one vector.
func deterministic(name string) *bytes.Reader {
	sum := sha512.Sum512([]byte("execauth airflow vectors: " + name))
	return bytes.NewReader(sum[:])
}

func (m *airflowMinter) env(name string, key *jwks.SigningKey, at int64) *mintEnv {
	m.t.Helper()
	e := &mintEnv{now: time.Unix(at, 0)}
	clock := func() time.Time { return e.now }
	var err error
	e.issuer, err = token.NewIssuer(token.IssuerConfig{
		Keys: key, Issuer: m.doc.Constants.Issuer, Audience: []string{m.doc.Constants.Audience},
		Now: clock, Rand: deterministic(name),
	})
	require.NoError(m.t, err)
	st, err := jwks.NewStatic(key.Public())
	require.NoError(m.t, err)
	e.verifier, err = token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: m.doc.Constants.Issuer, Audience: []string{m.doc.Constants.Audience},
		Algorithms: []jwks.Algorithm{key.Algorithm()}, Now: clock,
		InsecureAcceptMissingIssuer: true, AcceptMissingScope: true,
	})
	require.NoError(m.t, err)
	e.re, err = refresh.NewReissuer(refresh.ReissuerConfig{Issuer: e.issuer, Now: clock, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(m.t, err)
	return e
}

func (m *airflowMinter) secret(name string) *jwks.SigningKey {
	m.t.Helper()
	k, err := jwks.NewTextSecret(m.doc.Secrets[name].Text, "", jwks.HS512, jwks.TextSecretOptions{
		InsecureShortSecret: true, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(m.t, err)
	return k
}

func (m *airflowMinter) pem(name, kid string) *jwks.SigningKey {
	m.t.Helper()
	data, err := m.doc.PEM(name)
	require.NoError(m.t, err)
	k, err := jwks.ParsePrivate(data, kid, jwks.Algorithm(m.doc.Keys[name].Alg))
	require.NoError(m.t, err)
	return k
}

// claimsOf returns what a request authenticated with raw carries.
func (e *mintEnv) claimsOf(t testing.TB, raw string) *token.Claims {
	t.Helper()
	c, err := e.verifier.Verify(t.Context(), raw)
	require.NoError(t, err)
	return c
}

// handOut runs h for a request whose verified token is raw and returns the
// token the response hands out in Refreshed-API-Token.
func (e *mintEnv) handOut(t testing.TB, raw string, h func(http.ResponseWriter, *http.Request)) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodPatch, "/", nil)
	req = req.WithContext(token.NewContext(req.Context(), e.claimsOf(t, raw)))
	rec := httptest.NewRecorder()
	h(rec, req)
	got := rec.Header().Get(refresh.DefaultHeader)
	require.NotEmpty(t, got)
	return got
}

// add records a vector: the token, its decoded header and claims, and how
// Airflow verifies it.
func (m *airflowMinter) add(name, keyName, raw string, v airflowvec.Verify, expect airflowvec.Expect, notes string) {
	m.t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(m.t, parts, 3)
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(m.t, err)
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(m.t, err)
	var h map[string]any
	require.NoError(m.t, json.Unmarshal(header, &h))
	if v.Audience == nil {
		v.Audience = []string{m.doc.Constants.Audience}
	}
	if v.Leeway == 0 {
		v.Leeway = m.doc.Constants.Leeway
	}
	if v.Now == 0 {
		v.Now = m.doc.Constants.IAT
	}
	v.Required = []string{"aud", "exp", "iat"}
	if v.Issuer != nil {
		v.Required = append(v.Required, "iss")
	}
	m.out.Tokens = append(m.out.Tokens, airflowvec.Token{
		Name: name, Alg: h["alg"].(string), Key: keyName, Token: raw, Header: h, Claims: claims,
		Verify: v, Expect: expect, Notes: notes,
	})
}

func secretSource(name string, issuer *string) airflowvec.Verify {
	return airflowvec.Verify{KeySource: "secret", Secret: name, Algorithms: []string{"HS512"}, Issuer: issuer}
}

func setSource(source, key, alg string) airflowvec.Verify {
	return airflowvec.Verify{KeySource: source, Key: key, Algorithms: []string{alg}}
}

var accept = airflowvec.Expect{Result: "accept"}

// build mints every vector of execauth.json.
func (m *airflowMinter) build() {
	t := m.t
	c := m.doc.Constants
	sub := uuid.MustParse(c.Sub)
	iss := c.Issuer
	mint := func(e *mintEnv, class scope.Scope, subject string) string {
		raw, err := e.issuer.Mint(token.Claims{Subject: subject, Scope: scope.Set{class}})
		require.NoError(t, err)
		return string(raw)
	}

	for _, s := range []struct{ secret, name string }{{"airflow_cfg_24", "hs512_execution_text_secret_cfg24"}, {"runtime_22", "hs512_execution_text_secret_runtime22"}} {
		e := m.env(s.name, m.secret(s.secret), c.IAT)
		raw := mint(e, scope.Execution, c.Sub)
		m.add(s.name, s.secret, raw, secretSource(s.secret, nil), accept,
			"execauth mint -secret-text -insecure-short-secret with Airflow's secret text: HMAC key = its UTF-8 bytes. "+
				"The header carries the key's derived kid, which Airflow ignores for a secret; iss is present and not checked when jwt_issuer is unset.")
		m.add(s.name+"_issuer_set", s.secret, raw, secretSource(s.secret, &iss), accept,
			"The same token, checked by Airflow with jwt_issuer set to the execauth issuer name: iss required and equal.")
	}

	e := m.env("hs512_workload_text_secret_long64", m.secret("long_64"), c.IAT)
	workload, err := e.issuer.Workload(sub)
	require.NoError(t, err)
	m.add("hs512_workload_text_secret_long64", "long_64", string(workload), secretSource("long_64", nil), accept,
		"A workload token (scope workload, 24 h) with a 64-byte text secret: no short-secret opt-in needed.")

	exec := e.handOut(t, string(workload), func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, e.re.Exchange(w, r))
	})
	m.add("hs512_run_exchange_long64", "long_64", exec, secretSource("long_64", nil), accept,
		"The execution token refresh.Reissuer.Exchange hands out at the run route for the workload token above: "+
			"same sub and aud, auth_time = now (an extra claim to Airflow).")

	e = m.env("hs512_reissued_long64", m.secret("long_64"), c.IAT)
	first := mint(e, scope.Execution, c.Sub)
	e.now = e.now.Add(500 * time.Second)
	reissued := e.handOut(t, first, func(w http.ResponseWriter, r *http.Request) {
		e.re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })).ServeHTTP(w, r)
	})
	v := secretSource("long_64", nil)
	v.Now = c.IAT + 500
	m.add("hs512_reissued_long64", "long_64", reissued, v, accept,
		"refresh.Reissuer.Middleware 500 s into a 600 s execution token (100 s left, window max(20%, 30 s) = 120 s), "+
			"as Airflow's JWTReissueMiddleware would: a new token, auth_time anchored at the old iat.")

	airflowToken, err := m.doc.Token("hs512_execution_runtime22")
	require.NoError(t, err)
	e = m.env("hs512_reissue_of_airflow_token_runtime22", m.secret("runtime_22"), c.IAT+500)
	reissued = e.handOut(t, airflowToken.Token, func(w http.ResponseWriter, r *http.Request) {
		e.re.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })).ServeHTTP(w, r)
	})
	v = secretSource("runtime_22", nil)
	v.Now = c.IAT + 500
	m.add("hs512_reissue_of_airflow_token_runtime22", "runtime_22", reissued, v, accept,
		"An execauth server with Airflow's runtime secret (text, InsecureShortSecret), InsecureAcceptMissingIssuer and "+
			"AcceptMissingScope reissues the PyJWT vector hs512_execution_runtime22 (no kid, no iss) 500 s into its life; "+
			"Airflow accepts the successor.")

	ed := m.pem("ed25519", "")
	e = m.env("eddsa_execution", ed, c.IAT)
	m.add("eddsa_execution", "ed25519", mint(e, scope.Execution, c.Sub), setSource("jwks", "ed25519", "EdDSA"), accept,
		"Ed25519 key, execauth's default kid (RFC 7638), checked against the key set Airflow builds from the same "+
			"private key (jwt_private_key_path): for Ed25519 Airflow's kid is the RFC 7638 thumbprint.")
	m.add("processor_refused_by_airflow", "ed25519", mint(e, scope.Processor, "dag-processor"), setSource("jwks", "ed25519", "EdDSA"),
		airflowvec.Expect{Result: "reject", Errors: []string{"ValidationError"}},
		"A processor token: Airflow's task-token model accepts only the execution and workload scopes and a UUID sub.")

	airflowKID, err := jwks.AirflowKID(m.pem("rsa2048", "").Private())
	require.NoError(t, err)
	e = m.env("rs256_execution_airflow_kid", m.pem("rsa2048", airflowKID), c.IAT)
	m.add("rs256_execution_airflow_kid", "rsa2048", mint(e, scope.Execution, c.Sub), setSource("jwks", "rsa2048", "RS256"), accept,
		"RSA key with kid = jwks.AirflowKID (mint -airflow-kid), RS256, against Airflow's own key set.")
	e = m.env("rs256_execution_rfc7638_kid", m.pem("rsa2048", ""), c.IAT)
	rfcRSA := mint(e, scope.Execution, c.Sub)
	m.add("rs256_execution_rfc7638_kid", "rsa2048", rfcRSA, setSource("execauth_jwks", "rsa2048", "RS256"), accept,
		"RSA key with execauth's default kid (RFC 7638), checked through the JWK Set `execauth jwks` prints "+
			"(Airflow's trusted_jwks_url).")
	m.add("rs256_rfc7638_kid_against_airflow_key_set", "rsa2048", rfcRSA, setSource("jwks", "rsa2048", "RS256"),
		airflowvec.Expect{Result: "reject", Errors: []string{"KeyError"}},
		"The same token against the key set Airflow derives from the private key: its kid differs for RSA, so "+
			"Airflow finds no key. Use -airflow-kid, jwt_kid, or trusted_jwks_url.")

	e = m.env("es256_execution", m.pem("p256", ""), c.IAT)
	m.add("es256_execution", "p256", mint(e, scope.Execution, c.Sub), setSource("execauth_jwks", "p256", "ES256"), accept,
		"P-256 key, execauth's default kid, checked through the JWK Set `execauth jwks` prints.")
}

// build the keys and secrets sections: Airflow's key sets from vectors.json
// and the sets `execauth jwks` prints for the same keys.
func (m *airflowMinter) keys() {
	m.out.Secrets = m.doc.Secrets
	m.out.Keys = map[string]airflowvec.Key{}
	for name, k := range m.doc.Keys {
		set, err := jwks.MarshalSet(m.pem(name, "").Public())
		require.NoError(m.t, err)
		m.out.Keys[name] = airflowvec.Key{
			Alg: k.Alg, Kty: k.Kty, PEMFile: k.PEMFile, RFC7638KID: k.RFC7638KID, AirflowKID: k.AirflowKID,
			JWKS: k.JWKS, Execauth: set,
		}
	}
}

// Tokens minted here verify under Airflow's validator: the committed
// execauth.json is what execauth mints now (byte for byte, ES256 signatures
// aside), and each token passes or fails the Go encoding of Airflow's
// validator as the file says. verify.py checks the same file with PyJWT:
//
//	python3 testdata/airflow/verify.py --vectors testdata/airflow/execauth.json
//
// Regenerate with go test ./refresh -run TestAirflowExecauthVectors -update-airflow.
func TestAirflowExecauthVectors(t *testing.T) {
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	m := &airflowMinter{t: t, doc: doc, out: &airflowvec.Doc{
		About: "Task tokens minted by execauth for Apache Airflow's validator to accept (or, where noted, refuse). " +
			"Regenerate with: go test ./refresh -run TestAirflowExecauthVectors -update-airflow. Check with PyJWT: " +
			"python3 testdata/airflow/verify.py --vectors testdata/airflow/execauth.json. Keys and secrets are the " +
			"test keys of vectors.json; jwks is Airflow's key set for the key, execauth_jwks the one `execauth jwks` prints.",
		Constants: doc.Constants,
	}}
	m.keys()
	m.build()

	dir, err := airflowvec.Dir()
	require.NoError(t, err)
	path := filepath.Join(dir, execauthVectorsFile)
	committed, loadErr := airflowvec.Load(execauthVectorsFile)
	if *updateAirflow {
		keepRandomized(m.out, committed)
		data, err := json.MarshalIndent(m.out, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(data, '\n'), 0o644))
		committed, loadErr = airflowvec.Load(execauthVectorsFile)
	}
	require.NoError(t, loadErr, "run with -update-airflow to create %s", execauthVectorsFile)

	require.Len(t, committed.Tokens, len(m.out.Tokens))
	for i, want := range m.out.Tokens {
		got := committed.Tokens[i]
		t.Run(want.Name, func(t *testing.T) {
			require.Equal(t, want.Name, got.Name)
			if want.Alg == "ES256" {
				assert.Equal(t, signingInput(want.Token), signingInput(got.Token), "header and claims as minted now")
			} else {
				assert.Equal(t, want.Token, got.Token, "the token as minted now")
			}
			assert.Equal(t, want.Verify, got.Verify)
			assert.Equal(t, want.Expect, got.Expect)

			claims, err := committed.Validate(got.Token, got.Verify)
			if got.Expect.Result == "accept" {
				require.NoError(t, err, "Airflow's validator accepts it")
				assert.Equal(t, committed.Constants.Audience, claims["aud"])
				return
			}
			matched := false
			for _, name := range got.Expect.Errors {
				matched = matched || errors.Is(err, airflowvec.ErrorNamed(name))
			}
			assert.True(t, matched, "got %v, want one of %v", err, got.Expect.Errors)
		})
	}
	require.Len(t, committed.Keys, len(m.out.Keys))
	for name, want := range m.out.Keys {
		got := committed.Keys[name]
		assert.JSONEq(t, string(want.JWKS), string(got.JWKS), name)
		assert.JSONEq(t, string(want.Execauth), string(got.Execauth), name)
		assert.Equal(t, want.RFC7638KID, got.RFC7638KID, name)
		assert.Equal(t, want.AirflowKID, got.AirflowKID, name)
	}
}

// keepRandomized keeps a committed ES256 token whose header and claims are
// unchanged, so that a rerun rewrites the file identically.
func keepRandomized(out, committed *airflowvec.Doc) {
	if committed == nil {
		return
	}
	for i, tok := range out.Tokens {
		for _, old := range committed.Tokens {
			if old.Name == tok.Name && tok.Alg == "ES256" && signingInput(old.Token) == signingInput(tok.Token) {
				out.Tokens[i].Token = old.Token
			}
		}
	}
}

func signingInput(raw string) string { return raw[:strings.LastIndexByte(raw, '.')] }
