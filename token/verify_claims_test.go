package token

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// SECURITY.md "Claims": every claim rule, built as a signed token, so that
// only the claim is wrong.
func TestVerifyClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	leeway := DefaultLeeway
	u := now.Unix()
	tests := []struct {
		name    string
		edits   map[string]any
		raw     string // exact claims JSON instead of edits
		wantErr error
	}{
		{name: "valid", edits: nil},
		// iss
		{name: "iss missing", edits: map[string]any{"iss": absent}, wantErr: ErrIssuer},
		{name: "iss other", edits: map[string]any{"iss": "https://evil.example"}, wantErr: ErrIssuer},
		{name: "iss prefix", edits: map[string]any{"iss": testIssuer + "/"}, wantErr: ErrIssuer},
		{name: "iss case", edits: map[string]any{"iss": strings.ToUpper(testIssuer)}, wantErr: ErrIssuer},
		{name: "iss not a string", edits: map[string]any{"iss": []string{testIssuer}}, wantErr: ErrMalformed},
		// aud
		{name: "aud missing", edits: map[string]any{"aud": absent}, wantErr: ErrAudience},
		{name: "aud empty string", edits: map[string]any{"aud": ""}, wantErr: ErrAudience},
		{name: "aud empty array", edits: map[string]any{"aud": []string{}}, wantErr: ErrAudience},
		{name: "aud other", edits: map[string]any{"aud": "other-api"}, wantErr: ErrAudience},
		{name: "aud array with ours", edits: map[string]any{"aud": []string{"other-api", testAudience}}},
		{name: "aud array without ours", edits: map[string]any{"aud": []string{"a", "b"}}, wantErr: ErrAudience},
		{name: "aud number", edits: map[string]any{"aud": 1}, wantErr: ErrMalformed},
		{name: "aud array of numbers", edits: map[string]any{"aud": []int{1}}, wantErr: ErrMalformed},
		// exp
		{name: "exp missing", edits: map[string]any{"exp": absent}, wantErr: ErrClaims},
		{name: "exp string", edits: map[string]any{"exp": "4102444800"}, wantErr: ErrMalformed},
		{name: "exp float", edits: map[string]any{"exp": float64(u) + 0.5}, wantErr: ErrMalformed},
		{name: "exp exponent", raw: strings.Replace(validClaims(t, map[string]any{"exp": 7}), `"exp":7`, `"exp":1e10`, 1), wantErr: ErrMalformed},
		{name: "exp bool", edits: map[string]any{"exp": true}, wantErr: ErrMalformed},
		{name: "exp null", edits: map[string]any{"exp": nil}, wantErr: ErrMalformed},
		{name: "exp beyond int64", raw: strings.Replace(validClaims(t, map[string]any{"exp": 7}), `"exp":7`, `"exp":92233720368547758070`, 1), wantErr: ErrMalformed},
		{name: "exp leading zero", raw: strings.Replace(validClaims(t, map[string]any{"exp": 7}), `"exp":7`, `"exp":07`, 1), wantErr: ErrMalformed},
		{name: "expired beyond leeway", edits: map[string]any{"iat": u - 300, "nbf": u - 300, "exp": u - int64(leeway.Seconds())}, wantErr: ErrExpired},
		{name: "expired inside leeway", edits: map[string]any{"iat": u - 300, "nbf": u - 300, "exp": u - int64(leeway.Seconds()) + 1}},
		{name: "exp far in the past", edits: map[string]any{"iat": 0, "nbf": 0, "exp": 60}, wantErr: ErrExpired},
		// iat / nbf
		{name: "iat missing", edits: map[string]any{"iat": absent}, wantErr: ErrClaims},
		{name: "iat string", edits: map[string]any{"iat": "1"}, wantErr: ErrMalformed},
		{name: "iat in the future", edits: map[string]any{"iat": u + 11, "nbf": u, "exp": u + 300}, wantErr: ErrNotYetValid},
		{name: "iat inside leeway", edits: map[string]any{"iat": u + 10, "nbf": u, "exp": u + 300}},
		{name: "nbf in the future", edits: map[string]any{"nbf": u + 11}, wantErr: ErrNotYetValid},
		{name: "nbf inside leeway", edits: map[string]any{"nbf": u + 10}},
		{name: "nbf absent", edits: map[string]any{"nbf": absent}},
		{name: "nbf float", edits: map[string]any{"nbf": 1.5}, wantErr: ErrMalformed},
		{name: "auth_time string", edits: map[string]any{"auth_time": "1"}, wantErr: ErrMalformed},
		// lifetime
		{name: "execution lifetime at max", edits: map[string]any{"exp": u + int64(DefaultExecutionTTL.Seconds())}},
		{name: "execution lifetime over max", edits: map[string]any{"exp": u + int64(DefaultExecutionTTL.Seconds()) + 1}, wantErr: ErrLifetime},
		{name: "workload lifetime 24h", edits: map[string]any{"scope": "workload", "exp": u + 86400}},
		{name: "workload lifetime over 24h", edits: map[string]any{"scope": "workload", "exp": u + 86401}, wantErr: ErrLifetime},
		{name: "exp before iat", edits: map[string]any{"iat": u + 5, "nbf": u, "exp": u + 4}, wantErr: ErrLifetime},
		{name: "exp equals iat", edits: map[string]any{"iat": u, "exp": u}, wantErr: ErrLifetime},
		// sub
		{name: "sub missing", edits: map[string]any{"sub": absent}, wantErr: ErrSubject},
		{name: "sub empty", edits: map[string]any{"sub": ""}, wantErr: ErrSubject},
		{name: "sub not a UUID", edits: map[string]any{"sub": "task-1"}, wantErr: ErrSubject},
		{name: "sub UUID without hyphens", edits: map[string]any{"sub": strings.ReplaceAll(testTask, "-", "")}, wantErr: ErrSubject},
		{name: "sub URN UUID", edits: map[string]any{"sub": "urn:uuid:" + testTask}, wantErr: ErrSubject},
		{name: "sub number", edits: map[string]any{"sub": 5}, wantErr: ErrMalformed},
		{name: "processor sub any name", edits: map[string]any{"scope": "processor", "sub": "dag-processor"}},
		{name: "workload sub not a UUID", edits: map[string]any{"scope": "workload", "sub": "dag-processor"}, wantErr: ErrSubject},
		// scope
		{name: "scope missing", edits: map[string]any{"scope": absent}, wantErr: ErrScope},
		{name: "scope empty", edits: map[string]any{"scope": ""}, wantErr: ErrScope},
		{name: "scope two classes", edits: map[string]any{"scope": "execution workload"}, wantErr: ErrScope},
		{name: "scope no class", edits: map[string]any{"scope": "connections:read"}, wantErr: ErrScope},
		{name: "scope wrong case", edits: map[string]any{"scope": "Execution"}, wantErr: ErrScope},
		{name: "scope array", edits: map[string]any{"scope": []string{"execution"}}, wantErr: ErrScope},
		{name: "scope double space", edits: map[string]any{"scope": "execution  a"}, wantErr: ErrScope},
		{name: "scope with permissions", edits: map[string]any{"scope": "execution connections:read"}},
		// JSON shape
		{name: "duplicate exp", raw: `{"iss":"` + testIssuer + `","sub":"` + testTask + `","aud":"` + testAudience + `","iat":1,"exp":1,"exp":` + itoa(u+60) + `,"scope":"execution"}`, wantErr: ErrMalformed},
		{name: "duplicate sub", raw: strings.Replace(validClaims(t, nil), `"sub":`, `"sub":"x","sub":`, 1), wantErr: ErrMalformed},
		{name: "case variant Exp", edits: map[string]any{"Exp": u + 3600}, wantErr: ErrMalformed},
		{name: "case variant AUD", edits: map[string]any{"AUD": testAudience}, wantErr: ErrMalformed},
		{name: "case variant Scope", edits: map[string]any{"Scope": "workload"}, wantErr: ErrMalformed},
		{name: "case variant Auth_Time", edits: map[string]any{"Auth_Time": 1}, wantErr: ErrMalformed},
		{name: "Unicode case variant of sub", edits: map[string]any{"\u017fub": "x"}, wantErr: ErrMalformed},
		{name: "Unicode case variant of scope", edits: map[string]any{"\u017fcope": "workload"}, wantErr: ErrMalformed},
		{name: "host claim sharing a first letter", edits: map[string]any{"subject_kind": "x", "Extra": 1}},
		{name: "invalid UTF-8", raw: strings.Replace(validClaims(t, nil), `"jti":"`, "\"jti\":\"\xc3\x28", 1), wantErr: ErrMalformed},
		{name: "lone surrogate", raw: strings.Replace(validClaims(t, nil), `"jti":"`, `"jti":"\udc00`, 1), wantErr: ErrMalformed},
		{name: "control char in string", raw: strings.Replace(validClaims(t, nil), `"jti":"`, "\"jti\":\"\x01", 1), wantErr: ErrMalformed},
		{name: "not an object", raw: `["execution"]`, wantErr: ErrMalformed},
		{name: "deep nesting", edits: map[string]any{"x": json.RawMessage(strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20))}, wantErr: ErrMalformed},
		{name: "nested duplicate", edits: map[string]any{"x": json.RawMessage(`{"a":1,"a":2}`)}, wantErr: ErrMalformed},
		{name: "extra claims kept", edits: map[string]any{"x": json.RawMessage(`{"a":[1,2.5e3,"s",true,null]}`)}},
		{name: "truncated", raw: strings.TrimSuffix(validClaims(t, nil), "}"), wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			payload := tc.raw
			if payload == "" {
				payload = validClaims(t, tc.edits)
			}
			c, err := f.verify(t, f.signed(t, validHeaderES256, payload))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, c)
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestVerifyReturnsClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	payload := validClaims(t, map[string]any{
		"aud": []string{"other", testAudience}, "auth_time": now.Unix() - 60,
		"scope": "execution connections:read", "x": json.RawMessage(`{"k": [1, 2]}`),
	})
	c, err := f.verify(t, f.signed(t, validHeaderES256, payload))
	require.NoError(t, err)
	assert.Equal(t, testIssuer, c.Issuer)
	assert.Equal(t, testTask, c.Subject)
	assert.Equal(t, []string{"other", testAudience}, c.Audience)
	assert.Equal(t, now.Add(5*time.Minute).Unix(), c.ExpiresAt.Unix())
	assert.Equal(t, now.Unix(), c.IssuedAt.Unix())
	assert.Equal(t, now.Unix(), c.NotBefore.Unix())
	assert.Equal(t, now.Unix()-60, c.AuthTime.Unix())
	assert.Equal(t, "6f1c0e2f9a7b4d0c8e3a5b2d1f4e6a7c", c.ID)
	assert.Equal(t, scope.Set{scope.Execution, "connections:read"}, c.Scope)
	assert.Equal(t, scope.Execution, c.Class())
	x, ok := c.Extra("x")
	require.True(t, ok)
	assert.JSONEq(t, `{"k":[1,2]}`, string(x))
	id, err := c.TaskID()
	require.NoError(t, err)
	assert.Equal(t, testTask, id.String())
}

func TestVerifyMissingScopeOptIn(t *testing.T) {
	t.Parallel()
	payload := validClaims(t, map[string]any{"scope": absent})
	strict := newFixture(t, "ES256", nil)
	_, err := strict.verify(t, strict.signed(t, validHeaderES256, payload))
	require.ErrorIs(t, err, ErrScope)

	lenient := newFixture(t, "ES256", func(c *VerifierConfig) { c.AcceptMissingScope = true })
	c, err := lenient.verify(t, lenient.signed(t, validHeaderES256, payload))
	require.NoError(t, err)
	assert.Equal(t, scope.Execution, c.Class())
	// Opting in does not relax a scope that is present but wrong.
	_, err = lenient.verify(t, lenient.signed(t, validHeaderES256, validClaims(t, map[string]any{"scope": "a b"})))
	require.ErrorIs(t, err, ErrScope)
}

func TestVerifyLeeway(t *testing.T) {
	t.Parallel()
	payload := validClaims(t, map[string]any{"iat": now.Unix() - 600, "nbf": now.Unix() - 600, "exp": now.Unix() - 60})
	strict := newFixture(t, "ES256", nil)
	_, err := strict.verify(t, strict.signed(t, validHeaderES256, payload))
	require.ErrorIs(t, err, ErrExpired)
	loose := newFixture(t, "ES256", func(c *VerifierConfig) { c.Leeway = 2 * time.Minute })
	_, err = loose.verify(t, loose.signed(t, validHeaderES256, payload))
	require.NoError(t, err)
}

func TestVerifyMaxLifetimeConfig(t *testing.T) {
	t.Parallel()
	payload := validClaims(t, map[string]any{"exp": now.Unix() + 1200})
	f := newFixture(t, "ES256", func(c *VerifierConfig) { c.MaxLifetime.Execution = 20 * time.Minute })
	_, err := f.verify(t, f.signed(t, validHeaderES256, payload))
	require.NoError(t, err)
}

func TestNewVerifierConfig(t *testing.T) {
	t.Parallel()
	keys := newFixture(t, "ES256", nil).v.keys
	base := func() VerifierConfig {
		return VerifierConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}}
	}
	bad := map[string]func(*VerifierConfig){
		"no keys":           func(c *VerifierConfig) { c.Keys = nil },
		"no issuer":         func(c *VerifierConfig) { c.Issuer = "" },
		"no audience":       func(c *VerifierConfig) { c.Audience = nil },
		"empty audience":    func(c *VerifierConfig) { c.Audience = []string{""} },
		"none":              func(c *VerifierConfig) { c.Algorithms = []jwks.Algorithm{"none"} },
		"none among":        func(c *VerifierConfig) { c.Algorithms = []jwks.Algorithm{"ES256", "none"} },
		"unknown alg":       func(c *VerifierConfig) { c.Algorithms = []jwks.Algorithm{"ES257"} },
		"lowercase alg":     func(c *VerifierConfig) { c.Algorithms = []jwks.Algorithm{"es256"} },
		"negative leeway":   func(c *VerifierConfig) { c.Leeway = -time.Second },
		"leeway over 5m":    func(c *VerifierConfig) { c.Leeway = MaxLeeway + time.Second },
		"negative size":     func(c *VerifierConfig) { c.MaxSize = -1 },
		"negative lifetime": func(c *VerifierConfig) { c.MaxLifetime.Workload = -time.Second },
	}
	for name, edit := range bad {
		cfg := base()
		edit(&cfg)
		v, err := NewVerifier(cfg)
		assert.ErrorIs(t, err, ErrConfig, name)
		assert.Nil(t, v, name)
	}
	v, err := NewVerifier(base())
	require.NoError(t, err)
	assert.Equal(t, DefaultLeeway, v.leeway)
	assert.Equal(t, DefaultMaxSize, v.maxSize)
	assert.False(t, v.algs["HS256"], "HMAC is not in the default allow-list")
	assert.False(t, v.algs["PS256"], "PSS is not in the default allow-list")
	assert.True(t, v.algs["ES256"])
	assert.NotEmpty(t, v.algs, "empty Algorithms means the default list, never an empty one")
	_, err = NewVerifier(func() VerifierConfig { c := base(); c.Leeway = MaxLeeway; return c }())
	require.NoError(t, err, "5m is allowed")
}

func TestVerifyTimesAreUTC(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	c, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, map[string]any{"auth_time": now.Unix()})))
	require.NoError(t, err)
	for _, ts := range []time.Time{c.ExpiresAt, c.IssuedAt, c.NotBefore, c.AuthTime} {
		assert.Equal(t, time.UTC, ts.Location())
	}
	assert.True(t, c.IssuedAt == now, "comparable with == to a UTC time")
}

// TestTimeClaimsNearInt64Limit: a time claim beyond year 9999 would wrap
// around inside time.Unix (seconds are offset to year 1 there), so that an
// nbf far in the future lands in the past and the token passes. Every time
// claim is range-checked on its digits first: out of 1970..9999 is
// ErrMalformed, whichever claim it is.
func TestTimeClaimsNearInt64Limit(t *testing.T) {
	t.Parallel()
	const wraps = 9223371974719179008
	require.True(t, time.Unix(wraps, 0).Before(now), "the conversion this check exists for wraps into the past")

	f := newFixture(t, "ES256", nil)
	u := now.Unix()
	for _, tc := range []struct {
		name  string
		edits map[string]any
	}{
		{"nbf wraps to the past", map[string]any{"nbf": int64(wraps)}},
		{"nbf max int64", map[string]any{"nbf": int64(9223372036854775807)}},
		{"nbf year 10000", map[string]any{"nbf": int64(253402300800)}},
		{"exp wraps", map[string]any{"exp": int64(wraps)}},
		{"iat wraps", map[string]any{"iat": int64(wraps)}},
		{"iat negative", map[string]any{"iat": -1, "exp": u + 60}},
		{"auth_time wraps", map[string]any{"auth_time": int64(wraps)}},
		{"auth_time negative", map[string]any{"auth_time": int64(-9223372036854775807)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, tc.edits)))
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, "malformed", Reason(err))
		})
	}
	// The last second of 9999 is in range: a far nbf is then simply not yet valid.
	_, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, map[string]any{"nbf": int64(253402300799)})))
	require.ErrorIs(t, err, ErrNotYetValid)
}

// TestExtraClaimsOnDemand: host claims are read from the claims set when
// asked for, by their unescaped name; registered claims never are extra;
// each answer is the caller's copy; re-encoding keeps every host claim once.
func TestExtraClaimsOnDemand(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	payload := strings.Replace(validClaims(t, map[string]any{
		"ti": json.RawMessage(`{"try": 2, "map": [1, "x"]}`), "bundle": "dags",
	}), `"bundle"`, `"bun\u0064le"`, 1)
	c, err := f.verify(t, f.signed(t, validHeaderES256, payload))
	require.NoError(t, err)

	ti, ok := c.Extra("ti")
	require.True(t, ok)
	assert.JSONEq(t, `{"try":2,"map":[1,"x"]}`, string(ti))
	bundle, ok := c.Extra("bundle")
	require.True(t, ok, "found by its unescaped name")
	assert.Equal(t, `"dags"`, string(bundle))
	for _, name := range []string{"sub", "exp", "scope", "missing", "bun\\u0064le"} {
		_, ok := c.Extra(name)
		assert.False(t, ok, name)
	}
	bundle[1] = 'X'
	again, _ := c.Extra("bundle")
	assert.Equal(t, `"dags"`, string(again), "the caller's copy")

	out, err := json.Marshal(c)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &m))
	assert.JSONEq(t, `{"try":2,"map":[1,"x"]}`, string(m["ti"]))
	assert.Equal(t, `"dags"`, string(m["bundle"]))
	assert.Equal(t, 1, strings.Count(string(out), `"sub"`), "registered claims once")
}
