package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/airflowvec"
	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// parseToken asks the fixture for a parse token with a processor token.
func (f *apiFixture) parseToken(t testing.TB, processor token.Raw, body string) (response, token.Raw) {
	t.Helper()
	r := f.do(t, http.MethodPost, "/processor/parse-tokens", bearer(processor), body)
	if r.status != http.StatusOK {
		return r, ""
	}
	var out tokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	assert.Equal(t, "Bearer", out.TokenType)
	assert.Equal(t, "parse", out.Scope)
	assert.Equal(t, "urn:ietf:params:oauth:token-type:jwt", out.IssuedTokenType)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	assert.Empty(t, r.header.Get(refresh.DefaultHeader), "the processor keeps its own token")
	c, err := f.srv.verifier.Verify(t.Context(), out.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, int64(c.ExpiresAt.Sub(f.clock.Now())/time.Second), out.ExpiresIn, "expires_in is what the token says")
	return r, token.Raw(out.AccessToken)
}

// A processor token buys a parse token bound to one file of one bundle: it
// reads connections and its own bundle's variables, nothing else, for five
// minutes at most, and is never exchanged further.
func TestParseTokens(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, serverConfig{})
	processor := f.mint(t, scope.Processor, "dag-processor", 0)
	const body = `{"bundle":"demo_bundle","file":"dags/etl.py"}`

	r, parse := f.parseToken(t, processor, body)
	require.Equal(t, http.StatusOK, r.status, r.body)
	c, err := f.srv.verifier.Verify(t.Context(), string(parse))
	require.NoError(t, err)
	assert.Equal(t, parseClass, c.Class())
	assert.Equal(t, "dag-processor", c.Subject)
	assert.Equal(t, parseTTL, c.ExpiresAt.Sub(c.IssuedAt))
	assert.Contains(t, r.body, fmt.Sprintf(`"expires_in":%d`, int(parseTTL.Seconds())))
	bundle, _ := c.Extra("bundle")
	file, _ := c.Extra("file")
	assert.JSONEq(t, `"demo_bundle"`, string(bundle))
	assert.JSONEq(t, `"dags/etl.py"`, string(file))

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"a connection", http.MethodGet, "/connections/demo_db", "", http.StatusOK},
		{"its bundle's variable", http.MethodGet, "/bundles/demo_bundle/variables/greeting", "", http.StatusOK},
		{"another bundle's variable", http.MethodGet, "/bundles/other_bundle/variables/greeting", "", http.StatusForbidden},
		{"a further exchange", http.MethodPost, "/processor/parse-tokens", body, http.StatusForbidden},
		{"a heartbeat", http.MethodPut, taskPath(taskA.String(), "heartbeat"), "", http.StatusForbidden},
		{"a run", http.MethodPatch, taskPath(taskA.String(), "run"), runBodyA, http.StatusForbidden},
	} {
		got := f.do(t, tc.method, tc.path, bearer(parse), tc.body)
		assert.Equal(t, tc.status, got.status, "%s: %s", tc.name, got.body)
		if tc.status == http.StatusForbidden {
			assert.Contains(t, got.header.Get("WWW-Authenticate"), `error="insufficient_scope"`, tc.name)
		}
	}
	assert.Equal(t, http.StatusOK, f.do(t, http.MethodGet, "/bundles/demo_bundle/variables/greeting", bearer(processor), "").status,
		"an unbound processor token reads any bundle")
	vars := f.debugVars(t)
	assert.Equal(t, int64(1), vars["rejected.binding_mismatch"], "another bundle's variable, counted by its own reason")
	assert.Zero(t, vars["rejected.subject_mismatch"])

	// Near the processor token's end the parse token ends with it.
	f.clock.Advance(token.DefaultProcessorTTL - 2*time.Minute)
	require.NoError(t, f.srv.revoked.Sync(t.Context())) // the revocation list's view is fresh at the new time
	lr, late := f.parseToken(t, processor, body)
	lc, err := f.srv.verifier.Verify(t.Context(), string(late))
	require.NoError(t, err)
	pc, err := f.srv.verifier.Verify(t.Context(), string(processor))
	require.NoError(t, err)
	assert.Equal(t, pc.ExpiresAt, lc.ExpiresAt, "never outlives the processor token")
	assert.Contains(t, lr.body, `"expires_in":120`, "and says so")
}

func TestParseTokensRefused(t *testing.T) {
	t.Parallel()
	foreign := testkit.Seeded(t, "", 9)
	set, err := jwks.MarshalSet(foreign.Public())
	require.NoError(t, err)
	f := newAPIFixture(t, serverConfig{trusted: []string{writeFile(t, t.TempDir(), "trusted.json", set)}})
	processor := bearer(f.mint(t, scope.Processor, "dag-processor", 0))
	const body = `{"bundle":"demo_bundle","file":"dags/etl.py"}`
	for _, tc := range []struct {
		name, auth, body string
		status           int
	}{
		{"no token", "", body, http.StatusUnauthorized},
		{"a workload token", bearer(f.mint(t, scope.Workload, taskA.String(), 0)), body, http.StatusForbidden},
		{"an execution token", bearer(f.mint(t, scope.Execution, taskA.String(), 0)), body, http.StatusForbidden},
		{"a processor token of a trusted component", bearer(mintWith(t, issuerAt(t, foreign, f.clock.Now()), scope.Processor, "p", f.clock.Now())), body, http.StatusForbidden},
		{"an unknown bundle", processor, `{"bundle":"nope","file":"a.py"}`, http.StatusNotFound},
		{"no file", processor, `{"bundle":"demo_bundle"}`, http.StatusUnprocessableEntity},
		{"a control character in the file", processor, `{"bundle":"demo_bundle","file":"a\u0000.py"}`, http.StatusUnprocessableEntity},
		{"not JSON", processor, `bundle=demo_bundle`, http.StatusUnprocessableEntity},
	} {
		r := f.do(t, http.MethodPost, "/processor/parse-tokens", tc.auth, tc.body)
		assert.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		assert.NotContains(t, r.body, "access_token", tc.name)
	}
}

// An execauth server configured for Airflow (its secret as text, tokens
// without iss and scope accepted) serves a token Airflow minted and reissues
// it near expiry as Airflow would.
func TestServeAirflowToken(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	vec, err := doc.Token("hs512_no_scope_runtime22")
	require.NoError(t, err)
	key, err := jwks.NewTextSecret(doc.Secrets["runtime_22"].Text, "", jwks.HS512, jwks.TextSecretOptions{
		InsecureShortSecret: true, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	f := &apiFixture{}
	for _, compatible := range []bool{false, true} {
		f = newAPIFixture(t, serverConfig{
			key: key, issuer: doc.Constants.Issuer, audience: []string{doc.Constants.Audience},
			missingScope: compatible, missingIss: compatible,
		})
		f.clock.Set(vec.Verify.Time())
		require.NoError(t, f.srv.revoked.Sync(t.Context()))
		r := f.do(t, http.MethodGet, "/connections/demo_db", "Bearer "+vec.Token, "")
		if !compatible {
			assert.Equal(t, http.StatusUnauthorized, r.status, "iss and scope are required by default")
			continue
		}
		assert.Equal(t, http.StatusOK, r.status, r.body)
		assert.Empty(t, r.header.Get(refresh.DefaultHeader), "not due yet")
		run := f.do(t, http.MethodPatch, taskPath(doc.Constants.Sub, "run"), "Bearer "+vec.Token, runBodyA)
		require.Equal(t, http.StatusOK, run.status, "the worker starts the task with its execution token: %s", run.body)
	}
	f.clock.Set(vec.Verify.Time().Add(500 * time.Second)) // 100 s left: inside Airflow's window too
	require.NoError(t, f.srv.revoked.Sync(t.Context()))
	r := f.do(t, http.MethodPut, taskPath(doc.Constants.Sub, "heartbeat"), "Bearer "+vec.Token, "")
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	next := r.header.Get(refresh.DefaultHeader)
	require.NotEmpty(t, next, "reissued")
	_, err = doc.Validate(next, airflowvec.Verify{
		KeySource: "secret", Secret: "runtime_22", Algorithms: []string{"HS512"}, Audience: []string{doc.Constants.Audience},
		Leeway: 10, Required: []string{"aud", "exp", "iat"}, Now: vec.Verify.Now + 500,
	})
	require.NoError(t, err, "Airflow's validator accepts the successor")
}
