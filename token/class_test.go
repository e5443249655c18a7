package token

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
)

// The built-in classes are the three the package documents, described
// through the same type as a host's.
func TestBuiltinClasses(t *testing.T) {
	t.Parallel()
	b := BuiltinClasses()
	assert.Equal(t, []scope.Scope{scope.Workload, scope.Execution, scope.Processor}, b.Names())
	assert.Equal(t, scope.Classes(), b.Names(), "the scope package lists the same built-ins")
	assert.Equal(t, []scope.Scope{scope.Execution}, b.AcceptedByDefault())
	want := map[scope.Scope]Class{
		scope.Workload:  {Name: scope.Workload, TaskSubject: true, TTL: 24 * time.Hour, MaxLifetime: 24 * time.Hour, ExchangedFor: scope.Execution},
		scope.Execution: {Name: scope.Execution, TaskSubject: true, TTL: 10 * time.Minute, MaxLifetime: 10 * time.Minute, AcceptedByDefault: true, Reissued: true},
		scope.Processor: {Name: scope.Processor, TTL: 24 * time.Hour, MaxLifetime: 24 * time.Hour, Narrowable: true},
	}
	for name, w := range want {
		got, ok := b.Lookup(name)
		require.True(t, ok, name)
		assert.Equal(t, w, got)
		var none *Classes
		fromNil, ok := none.Lookup(name)
		require.True(t, ok, "a nil Classes is the built-in set")
		assert.Equal(t, w, fromNil)
	}
	_, ok := b.Lookup("workloads")
	assert.False(t, ok)
}

func TestNewClasses(t *testing.T) {
	t.Parallel()
	parse := Class{Name: "parse", TTL: 5 * time.Minute}
	tests := []struct {
		name    string
		classes []Class
		wantErr bool
	}{
		{name: "none extra", classes: nil},
		{name: "a parse class", classes: []Class{parse}},
		{name: "a callback class", classes: []Class{{Name: "callback", TaskSubject: true, TTL: time.Hour, ExchangedFor: scope.Execution}}},
		{name: "a chain of its own", classes: []Class{
			{Name: "job", TaskSubject: true, TTL: time.Hour, ExchangedFor: "step"},
			{Name: "step", TaskSubject: true, TTL: time.Minute, Reissued: true},
		}},
		{name: "invalid name", classes: []Class{{Name: "two words", TTL: time.Minute}}, wantErr: true},
		{name: "empty name", classes: []Class{{TTL: time.Minute}}, wantErr: true},
		{name: "a built-in name", classes: []Class{{Name: scope.Execution, TTL: time.Minute}}, wantErr: true},
		{name: "twice", classes: []Class{parse, parse}, wantErr: true},
		{name: "no TTL", classes: []Class{{Name: "parse"}}, wantErr: true},
		{name: "negative TTL", classes: []Class{{Name: "parse", TTL: -time.Minute}}, wantErr: true},
		{name: "max below TTL", classes: []Class{{Name: "parse", TTL: time.Hour, MaxLifetime: time.Minute}}, wantErr: true},
		{name: "exchanged for an unknown class", classes: []Class{{Name: "cb", TaskSubject: true, TTL: time.Hour, ExchangedFor: "nope"}}, wantErr: true},
		{name: "exchanged for a class that is not reissued", classes: []Class{{Name: "cb", TTL: time.Hour, ExchangedFor: scope.Processor}}, wantErr: true},
		{name: "exchanged for a task-id class without a task id", classes: []Class{{Name: "cb", TTL: time.Hour, ExchangedFor: scope.Execution}}, wantErr: true},
		{name: "reissued and exchanged", classes: []Class{{Name: "x", TaskSubject: true, TTL: time.Hour, Reissued: true, ExchangedFor: scope.Execution}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClasses(tc.classes...)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrConfig)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.Len(t, c.Names(), 3+len(tc.classes))
			for _, want := range tc.classes {
				got, ok := c.Lookup(want.Name)
				require.True(t, ok)
				if want.MaxLifetime == 0 {
					want.MaxLifetime = want.TTL
				}
				assert.Equal(t, want, got, "MaxLifetime defaults to TTL")
			}
		})
	}
}

func TestClassesOf(t *testing.T) {
	t.Parallel()
	c, err := NewClasses(Class{Name: "parse", TTL: time.Minute})
	require.NoError(t, err)
	got, err := c.Of(scope.Set{"bundles:read", "parse"})
	require.NoError(t, err)
	assert.Equal(t, scope.Scope("parse"), got.Name)
	_, err = c.Of(scope.Set{"parse", scope.Processor})
	require.ErrorIs(t, err, scope.ErrManyClasses)
	_, err = c.Of(scope.Set{"bundles:read"})
	require.ErrorIs(t, err, scope.ErrNoClass)
	_, err = BuiltinClasses().Of(scope.Set{"parse"})
	require.ErrorIs(t, err, scope.ErrNoClass, "a host's class is unknown to the built-in set")
	assert.Equal(t, []scope.Scope{"bundles:read"}, c.permissions(scope.Set{"bundles:read", "parse"}))
}

// A verifier bounds a registered class's lifetime by its description, and
// the Lifetimes override only the built-ins.
func TestVerifyRegisteredClassLifetime(t *testing.T) {
	t.Parallel()
	classes, err := NewClasses(Class{Name: "parse", TTL: 5 * time.Minute})
	require.NoError(t, err)
	f := newFixture(t, "ES256", func(c *VerifierConfig) {
		c.Classes = classes
		c.MaxLifetime = Lifetimes{Workload: 48 * time.Hour, Execution: time.Hour, Processor: 48 * time.Hour}
	})
	for life, wantErr := range map[time.Duration]error{5 * time.Minute: nil, 5*time.Minute + time.Second: ErrLifetime} {
		raw := f.signed(t, validHeaderES256, validClaims(t, map[string]any{
			"scope": "parse", "sub": "dag-processor", "iat": now.Unix(), "exp": now.Add(life).Unix(),
		}))
		c, err := f.verify(t, raw)
		if wantErr != nil {
			require.ErrorIs(t, err, wantErr, life)
			continue
		}
		require.NoError(t, err, life)
		assert.Equal(t, scope.Scope("parse"), c.Class())
	}
}

// Without the opt-in a token must carry the configured iss; with it, a token
// without iss passes, and one with another iss still fails.
func TestVerifyMissingIssuer(t *testing.T) {
	t.Parallel()
	strict := newFixture(t, "ES256", nil)
	lax := newFixtureWithKey(t, strict, func(c *VerifierConfig) { c.InsecureAcceptMissingIssuer = true })
	tests := []struct {
		name      string
		iss       any
		strictErr error
		laxErr    error
	}{
		{name: "the configured issuer", iss: testIssuer},
		{name: "no iss", iss: absent, strictErr: ErrIssuer},
		{name: "an empty iss", iss: "", strictErr: ErrIssuer},
		{name: "another issuer", iss: "https://other.example", strictErr: ErrIssuer, laxErr: ErrIssuer},
		{name: "a case variant", iss: "HTTPS://scheduler.example", strictErr: ErrIssuer, laxErr: ErrIssuer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := strict.signed(t, validHeaderES256, validClaims(t, map[string]any{"iss": tc.iss}))
			for _, v := range []struct {
				f       fixture
				wantErr error
			}{{strict, tc.strictErr}, {lax, tc.laxErr}} {
				_, err := v.f.verify(t, raw)
				if v.wantErr != nil {
					require.ErrorIs(t, err, v.wantErr)
				} else {
					require.NoError(t, err)
				}
			}
		})
	}
}

// newFixtureWithKey is newFixture on the key of f.
func newFixtureWithKey(t testing.TB, f fixture, edit func(*VerifierConfig)) fixture {
	t.Helper()
	out := newFixture(t, "ES256", func(c *VerifierConfig) {
		keys, err := jwks.NewStatic(f.key.Public())
		require.NoError(t, err)
		c.Keys = keys
		if edit != nil {
			edit(c)
		}
	})
	out.key = f.key
	return out
}

// A token without kid verified by the one key that could match reports that
// key's id, so an issuer holding the key recognizes it (Airflow's HMAC tokens
// carry no kid).
func TestKeyIDOfTokenWithoutKID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "HS512", nil)
	raw := f.signed(t, `{"alg":"HS512","typ":"JWT"}`, validClaims(t, nil))
	c, err := f.verify(t, raw)
	require.NoError(t, err)
	assert.Equal(t, "k1", c.KeyID())
	assert.True(t, f.iss.Signed(c))
}

// An issuer and a verifier built together must describe the issuer's
// classes alike, and a registered class's TTL counts for the keyring's
// RetireAfter like a built-in's.
func TestCrossChecksReadClasses(t *testing.T) {
	t.Parallel()
	parse := Class{Name: "parse", TTL: 5 * time.Minute}
	week := Class{Name: "batch", TTL: 7 * 24 * time.Hour}
	withParse, err := NewClasses(parse)
	require.NoError(t, err)
	longerParse, err := NewClasses(Class{Name: "parse", TTL: 5 * time.Minute, MaxLifetime: 10 * time.Minute})
	require.NoError(t, err)
	withWeek, err := NewClasses(week)
	require.NoError(t, err)

	key := testkit.Key(t, jwks.ES256, "k1")
	keys, err := jwks.NewStatic(key.Public())
	require.NoError(t, err)
	build := func(ic, vc *Classes) error {
		iss, err := NewIssuer(IssuerConfig{Keys: key, Issuer: testIssuer, Audience: []string{testAudience}, Classes: ic})
		require.NoError(t, err)
		v, err := NewVerifier(VerifierConfig{Keys: keys, Issuer: testIssuer, Audience: []string{testAudience}, Classes: vc})
		require.NoError(t, err)
		return CheckLifetimes(iss, v)
	}
	require.NoError(t, build(withParse, withParse))
	require.NoError(t, build(nil, withParse), "the verifier may know more classes")
	require.ErrorIs(t, build(withParse, nil), ErrConfig, "the verifier does not know parse")
	require.ErrorIs(t, build(withParse, longerParse), ErrConfig, "parse described differently")

	ring, err := jwks.NewKeyring(jwks.KeyringConfig{Active: key})
	require.NoError(t, err)
	_, err = NewIssuer(IssuerConfig{Keys: ring, Issuer: testIssuer, Audience: []string{testAudience}, Classes: withParse})
	require.NoError(t, err)
	_, err = NewIssuer(IssuerConfig{Keys: ring, Issuer: testIssuer, Audience: []string{testAudience}, Classes: withWeek})
	require.ErrorIs(t, err, ErrConfig, "a rotated-out key would stop verifying a week-long token")
}
