package token

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// decodeParts returns a token's header and claims as maps, without verifying.
func decodeParts(t *testing.T, raw Raw) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(string(raw), ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := decodeSegment(nil, parts[i])
		require.NoError(t, err)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		require.NoError(t, d.Decode(dst))
	}
	return header, claims
}

func TestMintShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	task := uuid.MustParse(testTask)

	for _, tc := range []struct {
		class scope.Scope
		mint  func() (Raw, error)
		ttl   time.Duration
	}{
		{scope.Workload, func() (Raw, error) { return f.iss.Workload(task) }, DefaultWorkloadTTL},
		{scope.Execution, func() (Raw, error) { return f.iss.Execution(task) }, DefaultExecutionTTL},
	} {
		raw, err := tc.mint()
		require.NoError(t, err)
		h, c := decodeParts(t, raw)
		assert.Equal(t, map[string]any{"alg": "ES256", "kid": "k1", "typ": "JWT"}, h)
		assert.Equal(t, testIssuer, c["iss"])
		assert.Equal(t, testTask, c["sub"])
		assert.Equal(t, testAudience, c["aud"], "one audience is a JSON string")
		assert.Equal(t, json.Number(itoa(now.Unix())), c["iat"])
		assert.Equal(t, c["iat"], c["nbf"])
		assert.Equal(t, json.Number(itoa(now.Add(tc.ttl).Unix())), c["exp"])
		assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), c["jti"])
		assert.Equal(t, string(tc.class), c["scope"])
		assert.NotContains(t, c, "auth_time")

		got, err := f.v.Verify(context.Background(), string(raw))
		require.NoError(t, err)
		assert.Equal(t, tc.class, got.Class())
	}
}

func TestMintUniqueJTI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "EdDSA", nil)
	seen := map[string]bool{}
	for range 200 {
		raw, err := f.iss.Execution(uuid.New())
		require.NoError(t, err)
		_, c := decodeParts(t, raw)
		jti := c["jti"].(string)
		require.False(t, seen[jti])
		seen[jti] = true
	}
}

func TestMintProcessor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	raw, err := f.iss.Processor("dag-processor", testAudience, "other-api")
	require.NoError(t, err)
	_, c := decodeParts(t, raw)
	assert.Equal(t, []any{testAudience, "other-api"}, c["aud"], "several audiences are an array")
	assert.Equal(t, "processor", c["scope"])
	assert.Equal(t, json.Number(itoa(now.Add(DefaultProcessorTTL).Unix())), c["exp"])
	got, err := f.v.Verify(context.Background(), string(raw))
	require.NoError(t, err)
	assert.Equal(t, "dag-processor", got.Subject)
	_, err = got.TaskID()
	require.ErrorIs(t, err, ErrSubject, "a processor has no task id")

	_, err = f.iss.Processor("")
	require.ErrorIs(t, err, ErrNotMinted)
}

func TestMintRefusesBadClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	for name, c := range map[string]Claims{
		"no scope":           {Subject: testTask},
		"two classes":        {Subject: testTask, Scope: scope.Set{scope.Execution, scope.Workload}},
		"no subject":         {Scope: scope.Set{scope.Execution}},
		"non-UUID execution": {Subject: "task", Scope: scope.Set{scope.Execution}},
	} {
		_, err := f.iss.Mint(c)
		assert.ErrorIs(t, err, ErrNotMinted, name)
	}
}

func TestSetExtraRefuses(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		name  string
		value string
	}{
		"registered name":            {"sub", `"x"`},
		"case variant":               {"Exp", `1`},
		"Unicode case variant":       {"\u017fub", `"x"`}, // long s folds to s
		"invalid JSON":               {"x", `{`},
		"two values":                 {"x", `1 2`},
		"registered name, scope":     {"scope", `"workload"`},
		"registered name, nbf":       {"nbf", `0`},
		"registered name, aud":       {"aud", `["evil"]`},
		"registered name, jti":       {"jti", `"x"`},
		"registered name, iss":       {"iss", `"x"`},
		"registered name, iat":       {"iat", `0`},
		"registered name, auth_time": {"auth_time", `0`},
		// valid JSON that Verify refuses
		"nested duplicate":  {"x", `{"a":1,"a":2}`},
		"escaped duplicate": {"x", `[{"a":1,"\u0061":2}]`},
		"nested too deeply": {"x", strings.Repeat("[", 16) + strings.Repeat("]", 16)},
		"invalid UTF-8":     {"x", "\"\xff\""},
	} {
		c := Claims{Subject: testTask, Scope: scope.Set{scope.Execution}}
		err := c.SetExtra(tc.name, json.RawMessage(tc.value))
		assert.ErrorIs(t, err, ErrNotMinted, name)
		_, ok := c.Extra(tc.name)
		assert.False(t, ok, name)
	}
}

func TestMintExtraClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	c := Claims{Subject: testTask, Scope: scope.Set{scope.Execution, "connections:read"}}
	require.NoError(t, c.SetExtra("ti", json.RawMessage(`{ "try": 1 }`)))
	require.NoError(t, c.SetExtra("a", json.RawMessage(`"old"`)))
	require.NoError(t, c.SetExtra("a", json.RawMessage(`"b"`)))
	raw, err := f.iss.Mint(c)
	require.NoError(t, err)
	got, err := f.v.Verify(context.Background(), string(raw))
	require.NoError(t, err)
	ti, ok := got.Extra("ti")
	require.True(t, ok)
	assert.Equal(t, `{"try":1}`, string(ti))
	a, ok := got.Extra("a")
	require.True(t, ok)
	assert.Equal(t, `"b"`, string(a))
	_, ok = got.Extra("sub")
	assert.False(t, ok, "registered claims are not extra")
	_, ok = got.Extra("missing")
	assert.False(t, ok)
	assert.True(t, got.Scope.HasAll("connections:read"))
	_, wire := decodeParts(t, raw)
	assert.Equal(t, map[string]any{"try": json.Number("1")}, wire["ti"])
}

func TestExchange(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	wraw, err := f.iss.Workload(uuid.MustParse(testTask))
	require.NoError(t, err)
	w, err := f.v.Verify(context.Background(), string(wraw))
	require.NoError(t, err)

	eraw, err := f.iss.Exchange(w, time.Time{})
	require.NoError(t, err)
	e, err := f.v.Verify(context.Background(), string(eraw))
	require.NoError(t, err)
	assert.Equal(t, scope.Execution, e.Class())
	assert.Equal(t, w.Subject, e.Subject)
	assert.Equal(t, w.Audience, e.Audience)
	assert.Equal(t, now.Unix(), e.AuthTime.Unix())
	assert.NotEqual(t, w.ID, e.ID)

	first := now.Add(-time.Hour)
	eraw, err = f.iss.Exchange(w, first)
	require.NoError(t, err)
	e, err = f.v.Verify(context.Background(), string(eraw))
	require.NoError(t, err)
	assert.Equal(t, first.Unix(), e.AuthTime.Unix(), "anchored at the chain's first exchange")

	_, err = f.iss.Exchange(e, time.Time{})
	require.ErrorIs(t, err, ErrNotMinted, "only a workload token is exchanged")
}

func TestReissueKeepsChain(t *testing.T) {
	t.Parallel()
	later := now.Add(4 * time.Minute)
	f := newFixture(t, "ES256", func(c *VerifierConfig) { c.Now = func() time.Time { return later } })
	for _, aud := range []any{testAudience, []string{testAudience, "other"}} {
		payload := validClaims(t, map[string]any{
			"aud": aud, "auth_time": now.Unix() - 3600, "scope": "execution connections:read",
			"x": json.RawMessage(`[1]`),
		})
		old, err := f.verify(t, f.signed(t, validHeaderES256, payload))
		require.NoError(t, err)

		laterIssuer, err := NewIssuer(IssuerConfig{Keys: f.key, Issuer: testIssuer, Audience: []string{"config-aud"}, Now: func() time.Time { return later }})
		require.NoError(t, err)
		raw, err := laterIssuer.Reissue(old)
		require.NoError(t, err)
		_, wire := decodeParts(t, raw)
		if _, one := aud.(string); one {
			assert.Equal(t, testAudience, wire["aud"], "string form kept")
		} else {
			assert.Equal(t, []any{testAudience, "other"}, wire["aud"], "array form kept")
		}
		next, err := f.v.Verify(context.Background(), string(raw))
		require.NoError(t, err)
		assert.Equal(t, old.Subject, next.Subject)
		assert.Equal(t, old.Scope, next.Scope)
		assert.Equal(t, old.Audience, next.Audience)
		assert.Equal(t, old.AuthTime, next.AuthTime)
		x, ok := next.Extra("x")
		require.True(t, ok)
		assert.Equal(t, "[1]", string(x), "extra claims kept")
		assert.NotEqual(t, old.ID, next.ID)
		assert.Equal(t, later.Unix(), next.IssuedAt.Unix())
		assert.True(t, next.ExpiresAt.After(old.ExpiresAt))
	}

	// A one-element array keeps its array form too.
	one, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, map[string]any{"aud": []string{testAudience}})))
	require.NoError(t, err)
	raw, err := f.iss.Reissue(one)
	require.NoError(t, err)
	_, wire := decodeParts(t, raw)
	assert.Equal(t, []any{testAudience}, wire["aud"])

	// Without auth_time, the chain is anchored at the first token's iat.
	noAuth, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, nil)))
	require.NoError(t, err)
	raw, err = f.iss.Reissue(noAuth)
	require.NoError(t, err)
	_, wire = decodeParts(t, raw)
	assert.Equal(t, json.Number(itoa(now.Unix())), wire["auth_time"])

	for _, class := range []string{"workload", "processor"} {
		c, err := f.verify(t, f.signed(t, validHeaderES256, validClaims(t, map[string]any{"scope": class, "sub": testTask})))
		require.NoError(t, err)
		_, err = f.iss.Reissue(c)
		require.ErrorIs(t, err, ErrNotMinted, class)
	}
}

// The Issuer signs with whatever key its SigningKeys says is active.
type swappable struct{ k *jwks.SigningKey }

func (s *swappable) Active() *jwks.SigningKey { return s.k }
func (s *swappable) Holds(kid string) bool    { return kid == s.k.ID() }

func TestIssuerFollowsActiveKey(t *testing.T) {
	t.Parallel()
	a, b := testkit.Key(t, "ES256", "a"), testkit.Key(t, "EdDSA", "b")
	keys := &swappable{a}
	iss, err := NewIssuer(IssuerConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}, Now: clock})
	require.NoError(t, err)
	raw, err := iss.Execution(uuid.New())
	require.NoError(t, err)
	h, _ := decodeParts(t, raw)
	assert.Equal(t, "a", h["kid"])
	assert.True(t, iss.Holds("a"))
	keys.k = b
	raw, err = iss.Execution(uuid.New())
	require.NoError(t, err)
	h, _ = decodeParts(t, raw)
	assert.Equal(t, "b", h["kid"])
	assert.Equal(t, "EdDSA", h["alg"])
	assert.False(t, iss.Holds(""))
}

func TestNewIssuerConfig(t *testing.T) {
	t.Parallel()
	key := testkit.Key(t, "ES256", "k")
	for name, cfg := range map[string]IssuerConfig{
		"no key":       {Issuer: "i", Audience: []string{"a"}},
		"no issuer":    {Keys: key, Audience: []string{"a"}},
		"no audience":  {Keys: key, Issuer: "i"},
		"empty aud":    {Keys: key, Issuer: "i", Audience: []string{""}},
		"negative TTL": {Keys: key, Issuer: "i", Audience: []string{"a"}, TTL: Lifetimes{Execution: -1}},
	} {
		_, err := NewIssuer(cfg)
		assert.ErrorIs(t, err, ErrConfig, name)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestMintRandomnessFailure(t *testing.T) {
	t.Parallel()
	iss, err := NewIssuer(IssuerConfig{Keys: testkit.Key(t, "ES256", "k"), Issuer: "i", Audience: []string{"a"}, Rand: failingReader{}})
	require.NoError(t, err)
	_, err = iss.Execution(uuid.New())
	require.ErrorIs(t, err, ErrNotMinted)
}

// Airflow compatibility: an HS512 token with kid "not-used", a string aud, a
// 32-hex jti and a workload/execution scope verifies with that secret and kid.
func TestAirflowShapedToken(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{0x5a}, 64)
	key, err := jwks.NewSigningKey("not-used", "HS512", secret)
	require.NoError(t, err)
	keys, err := jwks.NewStatic(key.Public())
	require.NoError(t, err)
	v, err := NewVerifier(VerifierConfig{
		Keys: keys, Issuer: testIssuer, Audience: []string{"urn:airflow.apache.org:task"},
		Algorithms: []jwks.Algorithm{"HS512"}, Now: clock,
	})
	require.NoError(t, err)
	for _, class := range []string{"workload", "execution"} {
		ttl := int64(600)
		if class == "workload" {
			ttl = 86400
		}
		payload := fmt.Sprintf(`{"jti":"0f4c5e3a9b1d4e2f8a7c6b5d4e3f2a1b","iss":%q,"aud":"urn:airflow.apache.org:task","nbf":%d,"exp":%d,"iat":%d,"sub":%q,"scope":%q}`,
			testIssuer, now.Unix(), now.Unix()+ttl, now.Unix(), testTask, class)
		raw, err := signParts([]byte(`{"alg":"HS512","kid":"not-used","typ":"JWT"}`), []byte(payload), key)
		require.NoError(t, err)
		c, err := v.Verify(context.Background(), string(raw))
		require.NoError(t, err, class)
		assert.Equal(t, scope.Scope(class), c.Class())
	}
	// A weak secret cannot be configured at all.
	_, err = jwks.NewSigningKey("not-used", "HS512", secret[:63])
	require.ErrorIs(t, err, jwks.ErrWeakKey)
}

func TestRawRedacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "ES256", nil)
	raw, err := f.iss.Execution(uuid.New())
	require.NoError(t, err)
	secret := string(raw)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		out := fmt.Sprintf(verb, raw)
		assert.NotContains(t, out, secret[:20], verb)
		assert.Contains(t, out, "REDACTED", verb)
	}
	assert.NotContains(t, fmt.Sprint(raw), secret[:20])
	assert.NotContains(t, fmt.Sprintf("%v", struct{ T Raw }{raw}), secret[:20])

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("minted", "token", raw, slog.Any("t", raw))
	slog.New(slog.NewTextHandler(&buf, nil)).Info("minted", "token", raw)
	// Inside a slice or a struct, slog's JSON handler falls back to encoding/json.
	log.Info("nested", "tokens", []Raw{raw}, "req", struct{ Token Raw }{raw})
	assert.NotContains(t, buf.String(), secret[:20])
	b, err := json.Marshal(map[string]any{"t": raw, "s": []Raw{raw}})
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret[:20])
	assert.JSONEq(t, `{"t":"[REDACTED]","s":["[REDACTED]"]}`, string(b))
	assert.Contains(t, buf.String(), "REDACTED")
}

func TestContext(t *testing.T) {
	t.Parallel()
	_, ok := FromContext(context.Background())
	assert.False(t, ok)
	_, ok = FromContext(NewContext(context.Background(), nil))
	assert.False(t, ok, "nil claims are not claims")
	c := &Claims{Subject: "s"}
	got, ok := FromContext(NewContext(context.Background(), c))
	require.True(t, ok)
	assert.Same(t, c, got)
}

func TestClaimsClone(t *testing.T) {
	t.Parallel()
	c := &Claims{Audience: []string{"a"}, Scope: scope.Set{scope.Execution}}
	require.NoError(t, c.SetExtra("x", json.RawMessage(`1`)))
	d := c.Clone()
	d.Audience[0], d.Scope[0] = "b", scope.Workload
	require.NoError(t, d.SetExtra("x", json.RawMessage(`2`)))
	require.NoError(t, d.SetExtra("y", json.RawMessage(`3`)))
	assert.Equal(t, "a", c.Audience[0])
	assert.Equal(t, scope.Execution, c.Scope[0])
	x, _ := c.Extra("x")
	assert.Equal(t, "1", string(x))
	_, ok := c.Extra("y")
	assert.False(t, ok)
	x[0] = '9' // the caller's copy
	x, _ = c.Extra("x")
	assert.Equal(t, "1", string(x))
}

func TestLifetimes(t *testing.T) {
	t.Parallel()
	var l Lifetimes
	assert.Equal(t, DefaultWorkloadTTL, l.For(scope.Workload))
	assert.Equal(t, DefaultExecutionTTL, l.For(scope.Execution))
	assert.Equal(t, DefaultProcessorTTL, l.For(scope.Processor))
	assert.Zero(t, l.For("other"))
	l.Execution = time.Minute
	assert.Equal(t, time.Minute, l.For(scope.Execution))
	assert.Equal(t, 24*time.Hour, l.Longest())
	l.Processor = 48 * time.Hour
	assert.Equal(t, 48*time.Hour, l.Longest())
}
