package token

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/revoke"
)

// fakeRevocations records what it is asked and answers as set.
type fakeRevocations struct {
	mu      sync.Mutex
	asked   [][3]string
	revoked bool
	err     error
}

func (f *fakeRevocations) Check(jti, sub string, iat time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, [3]string{jti, sub, iat.UTC().Format(time.RFC3339Nano)})
	return f.revoked, f.err
}

// newRevokeList returns a list on a memory store with the tests' clock,
// that no background sync changes during a test.
func newRevokeList(t *testing.T) *revoke.List {
	t.Helper()
	l, err := revoke.NewList(context.Background(), revoke.Config{
		Store: revoke.NewMemory(clock), Now: clock, PollInterval: time.Hour, MaxStale: 2 * time.Hour,
	})
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l
}

func TestRevokedTokens(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "no cache", true: "cache"}[cached], func(t *testing.T) {
			t.Parallel()
			list := newRevokeList(t)
			f := newFixture(t, jwks.ES256, func(c *VerifierConfig) {
				c.Revocations = list
				if cached {
					c.CacheSize = 16
				}
			})
			ctx := context.Background()
			task, other := uuid.New(), uuid.New()
			mint := func(sub uuid.UUID) (string, *Claims) {
				raw, err := f.iss.Execution(sub)
				require.NoError(t, err)
				c, err := f.verify(t, string(raw)) // verified once: cached when the cache is on
				require.NoError(t, err)
				return string(raw), c
			}
			tok, claims := mint(task)
			second, _ := mint(task)
			bystander, _ := mint(other)

			require.NoError(t, list.RevokeToken(ctx, claims.ID, claims.ExpiresAt))
			_, err := f.verify(t, tok)
			require.ErrorIs(t, err, ErrRevoked, "the revoked jti, cache hit or not")
			require.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, "revoked", Reason(err))
			_, err = f.verify(t, second)
			require.NoError(t, err, "another token of the same task")

			// The task finished: every token of it issued until now.
			require.NoError(t, list.RevokeSubject(ctx, task.String(), now))
			_, err = f.verify(t, second)
			require.ErrorIs(t, err, ErrRevoked)
			_, err = f.verify(t, bystander)
			require.NoError(t, err)

			// A token of the task minted in a later second is not revoked.
			later := newFixture(t, jwks.ES256, func(c *VerifierConfig) { c.Revocations = list })
			iss, err := NewIssuer(IssuerConfig{Keys: later.key, Issuer: testIssuer, Audience: []string{testAudience},
				Now: func() time.Time { return now.Add(time.Second) }})
			require.NoError(t, err)
			raw, err := iss.Execution(task)
			require.NoError(t, err)
			_, err = later.verify(t, string(raw))
			require.NoError(t, err)
		})
	}
}

func TestRevocationUnavailable(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "no cache", true: "cache"}[cached], func(t *testing.T) {
			t.Parallel()
			fake := &fakeRevocations{}
			f := newFixture(t, jwks.ES256, func(c *VerifierConfig) {
				c.Revocations = fake
				if cached {
					c.CacheSize = 16
				}
			})
			raw, err := f.iss.Execution(uuid.New())
			require.NoError(t, err)
			_, err = f.verify(t, string(raw))
			require.NoError(t, err)

			fake.mu.Lock()
			fake.err = revoke.ErrUnavailable
			fake.mu.Unlock()
			_, err = f.verify(t, string(raw))
			require.ErrorIs(t, err, ErrRevocationUnavailable)
			require.ErrorIs(t, err, ErrUnavailable, "503, never 401")
			require.ErrorIs(t, err, revoke.ErrUnavailable, "the cause is kept")
			assert.Equal(t, "revocation_unavailable", Reason(err))

			// Revoked wins over a stale answer: the list knows it.
			fake.mu.Lock()
			fake.revoked = true
			fake.mu.Unlock()
			_, err = f.verify(t, string(raw))
			require.ErrorIs(t, err, ErrRevoked)
		})
	}
}

// TestRevocationAskedOnClaims: the check is keyed on jti, sub and iat, and
// only for tokens that passed every other check.
func TestRevocationAskedOnClaims(t *testing.T) {
	t.Parallel()
	fake := &fakeRevocations{}
	f := newFixture(t, jwks.ES256, func(c *VerifierConfig) { c.Revocations = fake })
	task := uuid.New()
	raw, err := f.iss.Execution(task)
	require.NoError(t, err)
	c, err := f.verify(t, string(raw))
	require.NoError(t, err)
	require.Equal(t, [][3]string{{c.ID, task.String(), now.Format(time.RFC3339Nano)}}, fake.asked)

	for _, bad := range []string{
		string(raw[:len(raw)-2]) + "AA", // signature
		f.signed(t, validHeaderES256, validClaims(t, map[string]any{"exp": now.Add(-time.Hour).Unix()})),
		f.signed(t, validHeaderES256, validClaims(t, map[string]any{"aud": "elsewhere"})),
	} {
		_, err := f.verify(t, bad)
		require.Error(t, err)
		require.False(t, errors.Is(err, ErrRevoked))
	}
	assert.Len(t, fake.asked, 1, "a token that failed another check is not looked up")
}

func TestExpiryMarginCoversLeeway(t *testing.T) {
	t.Parallel()
	assert.GreaterOrEqual(t, revoke.ExpiryMargin, MaxLeeway,
		"a revoked token must stay revoked while any verifier's leeway still accepts it")
}
