package securitytest

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/token"
)

// SECURITY.md "Claims", end to end: each claim rule's exact response and no
// echo of the hostile values. Every row is validly signed by a trusted key,
// so only the claims are hostile. The unit table of every claim rule is
// TestVerifyClaims in package token; the rows here are the ones that carry
// the canary, or cases that table does not hold.
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
		// Required: `iss` (exact match)
		{"iss foreign", map[string]any{"iss": "https://" + canary + ".example"}, "", token.ErrIssuer},
		// `aud` (any configured value; string or array; `""`/`[]` count as missing)
		{"aud foreign", map[string]any{"aud": canary + "-api"}, "", token.ErrAudience},
		{"aud array of an empty string", map[string]any{"aud": []string{""}}, "", token.ErrAudience},
		{"aud a prefix", map[string]any{"aud": "execution"}, "", token.ErrAudience},
		// `scope` (exactly one class: workload, execution or processor)
		{"scope class twice", map[string]any{"scope": "execution execution"}, "", token.ErrScope},
		// Workload and execution `sub` must parse as a UUID.
		{"execution sub not a UUID", map[string]any{"sub": canary + "-task"}, "", token.ErrSubject},
		{"execution sub a braced UUID", map[string]any{"sub": "{" + taskID + "}"}, "", token.ErrSubject},
		// `exp`, `iat`, `nbf` are JSON integers (no strings, floats beyond
		// int64, booleans, null)
		{"exp 1e19", map[string]any{"exp": raw("1e19")}, "", token.ErrMalformed},
		{"nbf null", map[string]any{"nbf": raw("null")}, "", token.ErrMalformed},
		// `exp - iat` ≤ the class's max lifetime.
		{"processor living 24h1s", map[string]any{"scope": "processor", "sub": "dag-processor", "exp": now + 86401}, "", token.ErrLifetime},
		// Leeway default 10 s: in seconds here, where the unit table counts
		// from token.DefaultLeeway
		{"expired 10 s ago", map[string]any{"iat": now - 300, "exp": now - 10}, "", token.ErrExpired},
		// claims of a rejected token are never returned or logged (reject
		// checks the response and the logs for the canary)
		{"expired, claims marked", map[string]any{"iat": now - 600, "exp": now - 60, "jti": canary}, `,"note":"` + canary + `"`, token.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.reject(t, r.token(t, tc.set, tc.extra), tc.wantErr)
		})
	}
	t.Run("controls", func(t *testing.T) {
		r.accept(t, r.token(t, nil, ""))
		r.accept(t, r.token(t, map[string]any{"iat": now - 300, "exp": now - 9}, ""))
		// The route takes execution tokens only: a processor token at its
		// maximum lifetime verifies.
		c, err := r.v.Verify(t.Context(), r.token(t, map[string]any{"scope": "processor", "sub": "dag-processor", "exp": now + 86400}, ""))
		require.NoError(t, err)
		assert.Equal(t, "dag-processor", c.Subject)
	})
	// Error checks are uniform: do not let a forged token learn which claim
	// checks passed.
	t.Run("forged tokens learn nothing from claims", func(t *testing.T) {
		forge := func(set map[string]any) string {
			h, p, _ := testkit.Segments(t, r.token(t, set, ""))
			_, _, s := testkit.Segments(t, r.token(t, map[string]any{"jti": "other"}, ""))
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
