package token

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
)

// Every token refused at the revocation check is reported, from a cache
// hit or not; a token that passes is not.
func TestRevocationHooks(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "no cache", true: "cache"}[cached], func(t *testing.T) {
			t.Parallel()
			list := newRevokeList(t)
			rec := new(testkit.Events[observe.Revocation])
			f := newFixture(t, jwks.ES256, func(c *VerifierConfig) {
				c.Revocations = list
				c.Hooks = &observe.Hooks{OnRevocation: rec.Add}
				if cached {
					c.CacheSize = 16
				}
			})
			ctx := context.Background()
			task := uuid.New()
			raw, err := f.iss.Execution(task)
			require.NoError(t, err)
			c, err := f.verify(t, string(raw))
			require.NoError(t, err)
			assert.Empty(t, rec.All(), "a token that passes is not reported")

			require.NoError(t, list.RevokeSubject(ctx, task.String(), now))
			_, err = f.verify(t, string(raw))
			require.ErrorIs(t, err, ErrRevoked)
			assert.Equal(t, []observe.Revocation{{Outcome: observe.Revoked, CacheHit: cached}}, rec.All())
			assert.NotEmpty(t, c.ID)
		})
	}
}

// A list that cannot answer is reported with why, and the token refused
// with 503's sentinel.
func TestRevocationHooksUnavailable(t *testing.T) {
	t.Parallel()
	down := errors.New("revocations never synced")
	rec := new(testkit.Events[observe.Revocation])
	f := newFixture(t, jwks.ES256, func(c *VerifierConfig) {
		c.Revocations = &fakeRevocations{err: down}
		c.Hooks = &observe.Hooks{OnRevocation: rec.Add}
	})
	raw, err := f.iss.Execution(uuid.New())
	require.NoError(t, err)
	_, err = f.verify(t, string(raw))
	require.ErrorIs(t, err, ErrRevocationUnavailable)
	events := rec.All()
	require.Len(t, events, 1)
	assert.Equal(t, observe.Unavailable, events[0].Outcome)
	assert.False(t, events[0].CacheHit)
	require.ErrorIs(t, events[0].Err, ErrRevocationUnavailable)
	require.ErrorIs(t, events[0].Err, down)
}
