package token

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// narrowFixture has a processor token to narrow from, with two audiences, two
// permission scopes and a host claim, and an issuer and verifier that know a
// parse class (5 min, final) and a job class (1 h, narrowable).
type narrowFixture struct {
	key     *jwks.SigningKey
	classes *Classes
	iss     *Issuer
	v       *Verifier
	source  *Claims
}

const otherAudience = "bundles-api"

func newNarrowFixture(t testing.TB, sourceLife time.Duration) *narrowFixture {
	t.Helper()
	classes, err := NewClasses(
		Class{Name: "parse", TTL: 5 * time.Minute},
		Class{Name: "job", TTL: time.Hour, Narrowable: true},
	)
	require.NoError(t, err)
	f := &narrowFixture{key: testkit.Key(t, jwks.ES256, "k1"), classes: classes}
	f.iss = f.issuer(t, clock)
	keys, err := jwks.NewStatic(f.key.Public())
	require.NoError(t, err)
	f.v, err = NewVerifier(VerifierConfig{
		Keys: keys, Issuer: testIssuer, Audience: []string{testAudience, otherAudience}, Now: clock, Classes: classes,
	})
	require.NoError(t, err)
	source := Claims{
		Subject: "dag-processor", Audience: []string{testAudience, otherAudience},
		Scope:     scope.Set{scope.Processor, "connections:read", "variables:read"},
		ExpiresAt: now.Add(sourceLife),
	}
	require.NoError(t, source.SetExtra("tenant", json.RawMessage(`"t1"`)))
	f.source = f.verified(t, f.mint(t, source))
	return f
}

func (f *narrowFixture) issuer(t testing.TB, now func() time.Time) *Issuer {
	t.Helper()
	iss, err := NewIssuer(IssuerConfig{
		Keys: f.key, Issuer: testIssuer, Audience: []string{testAudience}, Now: now, Classes: f.classes,
	})
	require.NoError(t, err)
	return iss
}

func (f *narrowFixture) mint(t testing.TB, c Claims) Raw {
	t.Helper()
	raw, err := f.iss.Mint(c)
	require.NoError(t, err)
	return raw
}

func (f *narrowFixture) verified(t testing.TB, raw Raw) *Claims {
	t.Helper()
	c, err := f.v.Verify(context.Background(), string(raw))
	require.NoError(t, err)
	return c
}

func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

func TestNarrow(t *testing.T) {
	t.Parallel()
	f := newNarrowFixture(t, time.Hour)
	raw, err := f.iss.Narrow(f.source, Grant{
		Class: "parse", Audience: []string{testAudience}, Scopes: []scope.Scope{"connections:read"},
		Claims: map[string]json.RawMessage{"bundle": rawJSON(`"dags"`), "file": rawJSON(` "etl.py" `)},
	})
	require.NoError(t, err)
	c := f.verified(t, raw)
	assert.Equal(t, scope.Set{"parse", "connections:read"}, c.Scope)
	assert.Equal(t, f.source.Subject, c.Subject)
	assert.Equal(t, []string{testAudience}, c.Audience)
	assert.Equal(t, now, c.IssuedAt)
	assert.Equal(t, now.Add(5*time.Minute), c.ExpiresAt, "the class's TTL")
	assert.True(t, c.AuthTime.IsZero(), "a narrowed token starts no chain")
	for name, want := range map[string]string{"tenant": `"t1"`, "bundle": `"dags"`, "file": `"etl.py"`} {
		got, ok := c.Extra(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, string(got), "the source's claims kept, the grant's added")
	}
	assert.NotEqual(t, f.source.ID, c.ID)

	// An empty grant keeps the source's audience (and its array form) and
	// drops every permission scope.
	raw, err = f.iss.Narrow(f.source, Grant{Class: "parse"})
	require.NoError(t, err)
	c = f.verified(t, raw)
	assert.Equal(t, []string{testAudience, otherAudience}, c.Audience)
	assert.Equal(t, scope.Set{"parse"}, c.Scope)
}

// What the host asks for does not matter: a grant that is wider, longer-lived
// or from a source that may not be narrowed is refused with ErrNarrowing.
func TestNarrowRefuses(t *testing.T) {
	t.Parallel()
	long := newNarrowFixture(t, time.Hour)
	short := newNarrowFixture(t, 3*time.Minute)
	parse, err := long.iss.Narrow(long.source, Grant{Class: "parse"})
	require.NoError(t, err)
	job, err := long.iss.Narrow(long.source, Grant{Class: "job", Claims: map[string]json.RawMessage{"bundle": rawJSON(`"dags"`)}})
	require.NoError(t, err)
	stranger, err := NewIssuer(IssuerConfig{
		Keys: testkit.Key(t, jwks.ES256, "k2"), Issuer: testIssuer, Audience: []string{testAudience}, Now: clock, Classes: long.classes,
	})
	require.NoError(t, err)
	renamed, err := NewIssuer(IssuerConfig{
		Keys: long.key, Issuer: "https://other.example", Audience: []string{testAudience}, Now: clock, Classes: long.classes,
	})
	require.NoError(t, err)
	later := long.issuer(t, func() time.Time { return now.Add(time.Hour) })

	tests := []struct {
		name    string
		iss     *Issuer
		from    *Claims
		grant   Grant
		wantErr error
	}{
		{name: "an audience the source lacks", grant: Grant{Class: "parse", Audience: []string{"evil-api"}}, wantErr: ErrNarrowing},
		{name: "one more audience", grant: Grant{Class: "parse", Audience: []string{testAudience, "evil-api"}}, wantErr: ErrNarrowing},
		{name: "a permission the source lacks", grant: Grant{Class: "parse", Scopes: []scope.Scope{"connections:write"}}, wantErr: ErrNarrowing},
		{name: "a class value as a permission", grant: Grant{Class: "parse", Scopes: []scope.Scope{scope.Processor}}, wantErr: ErrNarrowing},
		{name: "a TTL past the source's exp", from: short.source, iss: short.iss, grant: Grant{Class: "parse", TTL: 4 * time.Minute}, wantErr: ErrNarrowing},
		{name: "a TTL past the class's lifetime", grant: Grant{Class: "parse", TTL: 6 * time.Minute}, wantErr: ErrNarrowing},
		{name: "a negative TTL", grant: Grant{Class: "parse", TTL: -time.Minute}, wantErr: ErrNarrowing},
		{name: "a chain class", grant: Grant{Class: scope.Execution}, wantErr: ErrNarrowing},
		{name: "a class that starts a chain", grant: Grant{Class: scope.Workload}, wantErr: ErrNarrowing},
		{name: "an unregistered class", grant: Grant{Class: "admin"}, wantErr: ErrNarrowing},
		{name: "a further exchange of a final class", from: long.verified(t, parse), grant: Grant{Class: "parse"}, wantErr: ErrNarrowing},
		{name: "a resource claim changed", from: long.verified(t, job), grant: Grant{Class: "parse", Claims: map[string]json.RawMessage{"bundle": rawJSON(`"other"`)}}, wantErr: ErrNarrowing},
		{name: "a registered claim name", grant: Grant{Class: "parse", Claims: map[string]json.RawMessage{"exp": rawJSON(`9999999999`)}}, wantErr: ErrNotMinted},
		{name: "a case variant of one", grant: Grant{Class: "parse", Claims: map[string]json.RawMessage{"Aud": rawJSON(`"evil-api"`)}}, wantErr: ErrNotMinted},
		{name: "a claim that is not JSON", grant: Grant{Class: "parse", Claims: map[string]json.RawMessage{"file": rawJSON(`{`)}}, wantErr: ErrNotMinted},
		{name: "a source signed by a key the issuer does not hold", iss: stranger, grant: Grant{Class: "parse"}, wantErr: ErrNarrowing},
		{name: "a source of another issuer name", iss: renamed, grant: Grant{Class: "parse"}, wantErr: ErrNarrowing},
		{name: "a source at its exp", iss: later, grant: Grant{Class: "parse"}, wantErr: ErrNarrowing},
		{name: "claims that were never verified", from: &Claims{Subject: "dag-processor", Issuer: testIssuer, Audience: []string{testAudience}, Scope: scope.Set{scope.Processor}, ExpiresAt: now.Add(time.Hour)}, grant: Grant{Class: "parse"}, wantErr: ErrNarrowing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, from := tc.iss, tc.from
			if iss == nil {
				iss = long.iss
			}
			if from == nil {
				from = long.source
			}
			raw, err := iss.Narrow(from, tc.grant)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorIs(t, err, ErrNotMinted)
			assert.Empty(t, raw)
			assert.NotContains(t, err.Error(), "evil-api", "no claim value in the error")
			assert.NotContains(t, err.Error(), "dag-processor")
		})
	}
}

// A narrowable target may be narrowed again, never past its own exp, and
// keeps its resource claims.
func TestNarrowTwice(t *testing.T) {
	t.Parallel()
	f := newNarrowFixture(t, 24*time.Hour)
	job, err := f.iss.Narrow(f.source, Grant{Class: "job", TTL: 4 * time.Minute, Claims: map[string]json.RawMessage{"bundle": rawJSON(`"dags"`)}})
	require.NoError(t, err)
	jc := f.verified(t, job)
	parse, err := f.iss.Narrow(jc, Grant{Class: "parse", Claims: map[string]json.RawMessage{"bundle": rawJSON(`"dags"`), "file": rawJSON(`"a.py"`)}})
	require.NoError(t, err)
	pc := f.verified(t, parse)
	assert.Equal(t, jc.ExpiresAt, pc.ExpiresAt, "5 min cut short at the job token's exp")
	bundle, _ := pc.Extra("bundle")
	file, _ := pc.Extra("file")
	assert.Equal(t, rawJSON(`"dags"`), bundle)
	assert.Equal(t, rawJSON(`"a.py"`), file)
}

// Over a grid of grants, each either is refused or yields a token no wider
// and no longer-lived than its source.
func TestNarrowNeverWiderNeverLonger(t *testing.T) {
	t.Parallel()
	f := newNarrowFixture(t, 7*time.Minute)
	audiences := [][]string{nil, {testAudience}, {otherAudience, testAudience}, {"evil-api"}, {testAudience, "evil-api"}}
	scopes := [][]scope.Scope{nil, {"connections:read"}, {"connections:read", "variables:read"}, {"variables:write"}, {scope.Execution}}
	ttls := []time.Duration{0, time.Minute, 5 * time.Minute, 7 * time.Minute, 8 * time.Minute, time.Hour}
	classes := []scope.Scope{"parse", "job", scope.Processor, scope.Execution, scope.Workload, "nope"}
	held := []scope.Scope{"connections:read", "variables:read"}
	minted := 0
	for _, aud := range audiences {
		for _, sc := range scopes {
			for _, ttl := range ttls {
				for _, class := range classes {
					raw, err := f.iss.Narrow(f.source, Grant{Class: class, Audience: aud, Scopes: sc, TTL: ttl})
					if err != nil {
						require.ErrorIs(t, err, ErrNotMinted)
						continue
					}
					minted++
					c := f.verified(t, raw)
					for _, a := range c.Audience {
						assert.Contains(t, f.source.Audience, a)
					}
					got, err := f.classes.Of(c.Scope)
					require.NoError(t, err)
					assert.Equal(t, class, got.Name)
					assert.False(t, got.Reissued || got.ExchangedFor != "", "never a chain class")
					for _, s := range c.Scope[1:] {
						assert.True(t, slices.Contains(held, s), "scope %q", s)
					}
					assert.False(t, c.ExpiresAt.After(f.source.ExpiresAt), "exp %v past the source's %v", c.ExpiresAt, f.source.ExpiresAt)
					assert.Equal(t, f.source.Subject, c.Subject)
				}
			}
		}
	}
	assert.Greater(t, minted, 20, "the grid has grants that pass")
}
