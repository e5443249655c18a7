package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func TestRevokeCommand(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	url := "redis://" + m.Addr() + "/0"
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	f := newAPIFixture(t, serverConfig{redis: client})

	t.Run("subject", func(t *testing.T) {
		task := uuid.NewString()
		exec := f.mint(t, scope.Execution, task, time.Minute)
		r := f.do(t, http.MethodPatch, taskPath(task, "run"), bearer(f.mint(t, scope.Workload, task, time.Minute)), runBodyA)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, http.StatusNoContent, f.do(t, http.MethodPut, taskPath(task, "heartbeat"), bearer(exec), "").status)

		res := runCLI(t, "", "revoke", "-redis", url, "-sub", task)
		require.NoError(t, res.err, res.stderr)
		assert.Contains(t, res.stdout, "revoked every token of the subject")
		require.NoError(t, f.srv.revoked.Sync(t.Context()))
		r = f.do(t, http.MethodPut, taskPath(task, "heartbeat"), bearer(exec), "")
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, revokedChallenge, r.header.Get("WWW-Authenticate"))
	})
	t.Run("token from stdin", func(t *testing.T) {
		key := testkit.Seeded(t, "", 2)
		iss, err := token.NewIssuer(token.IssuerConfig{Keys: key, Issuer: testIss, Audience: []string{testAud}})
		require.NoError(t, err)
		raw, err := iss.Execution(uuid.New())
		require.NoError(t, err)
		st, err := jwks.NewStatic(key.Public())
		require.NoError(t, err)
		v, err := token.NewVerifier(token.VerifierConfig{Keys: st, Issuer: testIss, Audience: []string{testAud}})
		require.NoError(t, err)
		c, err := v.Verify(t.Context(), string(raw))
		require.NoError(t, err)
		res := runCLI(t, " "+string(raw)+"\n", "revoke", "-redis", url, "-")
		require.NoError(t, res.err, res.stderr)
		assert.Contains(t, res.stdout, "revoked the token until")
		assert.NotRegexp(t, jwsPattern, res.stdout+res.stderr, "no token printed")
		assert.NotEmpty(t, m.HGet("{execauth}:revoke:entries", "jti:"+c.ID), "stored by jti")

		// execauth verify -redis refuses it; without -redis it does not know.
		keyFile := filepath.Join(t.TempDir(), "k.pem")
		require.NoError(t, jwks.WriteSigningKey(keyFile, key))
		args := []string{"verify", "-key", keyFile, "-iss", testIss, "-aud", testAud, string(raw)}
		res = runCLI(t, "", args...)
		require.NoError(t, res.err, res.stderr)
		res = runCLI(t, "", append(args[:len(args)-1], "-redis", url, string(raw))...)
		var rej *rejection
		require.ErrorAs(t, res.err, &rej)
		assert.Equal(t, "revoked", rej.reason)
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"revoke", "-sub", "x"},
			{"revoke", "-redis", url, "-sub", "x", "tok"},
			{"revoke", "-redis", url, "not-a-token"},
			{"revoke", "-redis", "http://nope", "-sub", "x"},
		} {
			res := runCLI(t, "", args...)
			require.ErrorIs(t, res.err, errUsage, args)
		}
	})
}
