package execauth_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// SECURITY.md "Claims". Every row is validly signed by a trusted key: only
// the claims are hostile.
func TestAttackClaims(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	now := t0.Unix()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name    string
		set     map[string]any
		extra   string
		wantErr error
	}{
		// "Required: `iss` (exact match)"
		{"iss missing", map[string]any{"iss": nil}, "", token.ErrIssuer},
		{"iss foreign", map[string]any{"iss": "https://" + canary + ".example"}, "", token.ErrIssuer},
		{"iss with a trailing slash", map[string]any{"iss": issuerName + "/"}, "", token.ErrIssuer},
		{"iss in other letter case", map[string]any{"iss": "HTTPS://SCHEDULER.EXAMPLE"}, "", token.ErrIssuer},
		{"iss an array", map[string]any{"iss": []string{issuerName}}, "", token.ErrMalformed},
		// "`aud` (any configured value; string or array; `\"\"`/`[]` count as missing)"
		{"aud missing", map[string]any{"aud": nil}, "", token.ErrAudience},
		{"aud empty string", map[string]any{"aud": ""}, "", token.ErrAudience},
		{"aud empty array", map[string]any{"aud": []string{}}, "", token.ErrAudience},
		{"aud array of an empty string", map[string]any{"aud": []string{""}}, "", token.ErrAudience},
		{"aud foreign", map[string]any{"aud": canary + "-api"}, "", token.ErrAudience},
		{"aud array, all foreign", map[string]any{"aud": []string{"a-api", canary}}, "", token.ErrAudience},
		{"aud a prefix", map[string]any{"aud": "execution"}, "", token.ErrAudience},
		{"aud a number", map[string]any{"aud": 1}, "", token.ErrMalformed},
		// "`exp`, `iat`" required
		{"exp missing", map[string]any{"exp": nil}, "", token.ErrClaims},
		{"iat missing", map[string]any{"iat": nil}, "", token.ErrClaims},
		// "`sub` (non-empty string)"
		{"sub missing", map[string]any{"sub": nil}, "", token.ErrSubject},
		{"sub empty", map[string]any{"sub": ""}, "", token.ErrSubject},
		{"sub a number", map[string]any{"sub": 7}, "", token.ErrMalformed},
		// "`scope` (exactly one class: workload, execution or processor)"
		{"scope missing", map[string]any{"scope": nil}, "", token.ErrScope},
		{"scope empty", map[string]any{"scope": ""}, "", token.ErrScope},
		{"scope without a class", map[string]any{"scope": "connections:read"}, "", token.ErrScope},
		{"scope with two classes", map[string]any{"scope": "execution workload"}, "", token.ErrScope},
		{"scope class twice", map[string]any{"scope": "execution execution"}, "", token.ErrScope},
		{"scope class in capitals", map[string]any{"scope": "Execution"}, "", token.ErrScope},
		{"scope an array", map[string]any{"scope": []string{"execution"}}, "", token.ErrScope},
		// "Workload and execution `sub` must parse as a UUID."
		{"execution sub not a UUID", map[string]any{"sub": canary + "-task"}, "", token.ErrSubject},
		{"workload sub not a UUID", map[string]any{"sub": "dag-processor", "scope": "workload"}, "", token.ErrSubject},
		{"execution sub a braced UUID", map[string]any{"sub": "{" + taskID + "}"}, "", token.ErrSubject},
		{"execution sub a URN", map[string]any{"sub": "urn:uuid:" + taskID}, "", token.ErrSubject},
		// "`exp`, `iat`, `nbf` are JSON integers (no strings, floats beyond
		// int64, booleans, null)"
		{"exp a string", map[string]any{"exp": "1795000000"}, "", token.ErrMalformed},
		{"exp a fraction", map[string]any{"exp": raw("1795000000.5")}, "", token.ErrMalformed},
		{"exp with an exponent", map[string]any{"exp": raw("1.795e9")}, "", token.ErrMalformed},
		{"exp beyond int64", map[string]any{"exp": raw("9223372036854775808")}, "", token.ErrMalformed},
		{"exp 1e19", map[string]any{"exp": raw("1e19")}, "", token.ErrMalformed},
		{"exp a boolean", map[string]any{"exp": true}, "", token.ErrMalformed},
		{"exp null", map[string]any{"exp": raw("null")}, "", token.ErrMalformed},
		{"exp with a leading zero", map[string]any{"exp": raw("01795000000")}, "", token.ErrMalformed},
		{"iat a string", map[string]any{"iat": "1795000000"}, "", token.ErrMalformed},
		{"nbf null", map[string]any{"nbf": raw("null")}, "", token.ErrMalformed},
		{"nbf a float", map[string]any{"nbf": raw("1.5")}, "", token.ErrMalformed},
		{"auth_time a string", map[string]any{}, `,"auth_time":"1795000000"`, token.ErrMalformed},
		// "`iat` not in the future beyond leeway."
		{"iat 11 s ahead", map[string]any{"iat": now + 11}, "", token.ErrNotYetValid},
		{"nbf 11 s ahead", map[string]any{"nbf": now + 11}, "", token.ErrNotYetValid},
		// "`exp - iat` ≤ the class's max lifetime."
		{"execution living 10m1s", map[string]any{"exp": now + 601}, "", token.ErrLifetime},
		{"workload living 24h1s", map[string]any{"scope": "workload", "exp": now + 86401}, "", token.ErrLifetime},
		{"processor living 24h1s", map[string]any{"scope": "processor", "sub": "dag-processor", "exp": now + 86401}, "", token.ErrLifetime},
		{"exp before iat", map[string]any{"iat": now + 5, "exp": now + 4}, "", token.ErrLifetime},
		// "Leeway default 10 s"
		{"expired 10 s ago", map[string]any{"iat": now - 300, "exp": now - 10}, "", token.ErrExpired},
		// "claims of a rejected token are never returned or logged" (reject
		// checks the response and the logs for the canary)
		{"expired, claims marked", map[string]any{"iat": now - 600, "exp": now - 60, "jti": canary}, `,"note":"` + canary + `"`, token.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.reject(t, r.token(t, tc.set, tc.extra), tc.wantErr)
		})
	}
	t.Run("controls", func(t *testing.T) {
		r.accept(t, r.token(t, map[string]any{"aud": []string{"other-api", audience}}, ""))
		r.accept(t, r.token(t, map[string]any{"iat": now + 10, "exp": now + 300}, ""))
		r.accept(t, r.token(t, map[string]any{"iat": now - 300, "exp": now - 9}, ""))
		r.accept(t, r.token(t, map[string]any{"exp": now + 600}, ""))
		c, err := r.v.Verify(t.Context(), r.token(t, map[string]any{"scope": "processor", "sub": "dag-processor", "exp": now + 86400}, ""))
		require.NoError(t, err)
		assert.Equal(t, "dag-processor", c.Subject)
	})
	// "Leeway default 10 s, maximum 5 min, never negative."
	t.Run("leeway bounds", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Nanosecond, token.MaxLeeway + time.Nanosecond, time.Hour} {
			_, err := token.NewVerifier(token.VerifierConfig{Keys: r.staticKeys(t), Issuer: issuerName, Audience: []string{audience}, Leeway: d})
			require.ErrorIs(t, err, token.ErrConfig, "leeway %s", d)
		}
		_, err := token.NewVerifier(token.VerifierConfig{Keys: r.staticKeys(t), Issuer: issuerName, Audience: []string{audience}, Leeway: token.MaxLeeway})
		require.NoError(t, err)
		assert.Equal(t, 10*time.Second, token.DefaultLeeway)
	})
	// "Error checks are uniform: do not let a forged token learn which claim
	// checks passed."
	t.Run("forged tokens learn nothing from claims", func(t *testing.T) {
		forge := func(set map[string]any) string {
			h, p, _ := segments(t, r.token(t, set, ""))
			_, _, s := segments(t, r.token(t, map[string]any{"jti": "other"}, ""))
			return h + "." + p + "." + s // a valid signature, of other claims
		}
		allGood := forge(nil)
		allBad := forge(map[string]any{"iss": canary, "aud": canary, "sub": "", "scope": "", "exp": now - 3600, "iat": now + 3600})
		var responses []*httptest.ResponseRecorder
		for _, f := range []string{allGood, allBad} {
			_, err := r.v.Verify(t.Context(), f)
			require.ErrorIs(t, err, token.ErrSignature)
			for _, leak := range []error{token.ErrExpired, token.ErrIssuer, token.ErrAudience, token.ErrSubject, token.ErrScope, token.ErrNotYetValid, token.ErrLifetime} {
				assert.NotErrorIs(t, err, leak)
			}
			r.expect(t, request("Bearer "+f), rejectToken, f)
			responses = append(responses, r.serve(request("Bearer "+f)))
		}
		assert.Equal(t, responses[0].Result().Header, responses[1].Result().Header, "the headers tell the forgeries apart")
		assert.Equal(t, responses[0].Body.String(), responses[1].Body.String(), "the bodies tell the forgeries apart")
	})
}

// staticKeys returns a key set of k1, for building more verifiers.
func (r *rig) staticKeys(t testing.TB) jwks.Lookup {
	t.Helper()
	st, err := jwks.NewStatic(r.key.Public())
	require.NoError(t, err)
	return st
}
