package token_test

import (
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/airflowvec"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// airflowVerifier builds a verifier with a PyJWT vector's settings: its
// secret read as text or its JWK Set, its algorithms, audience, leeway and
// clock. compatible turns on what Airflow's tokens need beyond the defaults:
// a short secret, tokens without iss (when the vector sets no issuer) and
// tokens without scope.
func airflowVerifier(t testing.TB, doc *airflowvec.Doc, v airflowvec.Verify, compatible bool) *token.Verifier {
	t.Helper()
	var keys []jwks.Key
	if v.KeySource == "secret" {
		k, err := jwks.NewTextSecret(doc.Secrets[v.Secret].Text, "", jwks.HS512, jwks.TextSecretOptions{
			InsecureShortSecret: compatible, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			require.ErrorIs(t, err, jwks.ErrWeakKey)
			return nil
		}
		keys = []jwks.Key{k.Public()}
	} else {
		var skipped []error
		var err error
		keys, skipped, err = jwks.ParseSet(doc.Keys[v.Key].JWKS)
		require.NoError(t, err)
		require.Empty(t, skipped)
	}
	st, err := jwks.NewStatic(keys...)
	require.NoError(t, err)
	cfg := token.VerifierConfig{
		Keys: st, Issuer: doc.Constants.Issuer, Audience: v.Audience,
		Leeway: time.Duration(v.Leeway) * time.Second, Now: v.Time,
	}
	for _, a := range v.Algorithms {
		cfg.Algorithms = append(cfg.Algorithms, jwks.Algorithm(a))
	}
	// The keys' own algorithms too: a verifier whose keys are all bound to
	// algorithms it does not allow is refused at construction (Airflow's
	// guessed RS512 over a key set binding RSA to RS256).
	for _, k := range keys {
		if !slices.Contains(cfg.Algorithms, k.Algorithm()) {
			cfg.Algorithms = append(cfg.Algorithms, k.Algorithm())
		}
	}
	if v.Issuer != nil {
		cfg.Issuer = *v.Issuer
	} else {
		cfg.InsecureAcceptMissingIssuer = compatible
	}
	cfg.AcceptMissingScope = compatible
	verifier, err := token.NewVerifier(cfg)
	require.NoError(t, err)
	return verifier
}

// Every token PyJWT minted as Airflow does verifies here, with the settings
// that match Airflow's, exactly when Airflow accepts it; with the defaults,
// execauth refuses what it deliberately requires (iss, scope, a full-length
// secret). The expected outcome of each vector is written out.
func TestAirflowVectorsVerify(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	weak := jwks.ErrWeakKey // the secret itself is refused
	want := map[string]struct{ compatible, defaults error }{
		"hs512_execution_runtime22":             {nil, weak},
		"hs512_execution_cfg24":                 {nil, weak},
		"hs512_execution_long64":                {nil, token.ErrIssuer},
		"hs512_workload_runtime22":              {nil, weak},
		"hs512_no_scope_runtime22":              {nil, weak},
		"hs512_legacy_no_jti_runtime22":         {nil, weak},
		"hs512_execution_with_iss_runtime22":    {nil, weak},
		"hs512_no_iss_rejected_when_issuer_set": {token.ErrIssuer, weak},
		"hs512_reissued_runtime22":              {nil, weak},
		"hs512_base64_decoded_key_rejected":     {token.ErrSignature, weak},
		"eddsa_execution":                       {nil, token.ErrIssuer},
		"eddsa_workload":                        {nil, token.ErrIssuer},
		"rs256_execution":                       {nil, token.ErrIssuer},
		"rs512_execution_guessed_alg":           {token.ErrAlgorithm, token.ErrAlgorithm},
		"es256_execution":                       {nil, token.ErrIssuer},
	}
	require.Len(t, doc.Tokens, len(want))
	for _, v := range doc.Tokens {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[v.Name]
			require.True(t, ok, "a vector without an expectation here")
			assert.Equal(t, v.Expect.Result == "accept", w.compatible == nil, "compatible settings agree with Airflow")

			c, err := airflowVerifier(t, doc, v.Verify, true).Verify(t.Context(), v.Token)
			if w.compatible != nil {
				require.ErrorIs(t, err, w.compatible)
			} else {
				require.NoError(t, err)
				var claims struct {
					Sub   string `json:"sub"`
					Scope string `json:"scope"`
					JTI   string `json:"jti"`
					Exp   int64  `json:"exp"`
					Iat   int64  `json:"iat"`
				}
				require.NoError(t, json.Unmarshal(v.Claims, &claims))
				assert.Equal(t, claims.Sub, c.Subject)
				assert.Equal(t, claims.JTI, c.ID)
				assert.Equal(t, claims.Exp, c.ExpiresAt.Unix())
				assert.Equal(t, claims.Iat, c.IssuedAt.Unix())
				wantClass := scope.Scope(claims.Scope)
				if wantClass == "" {
					wantClass = scope.Execution // Airflow's default for a token without scope
				}
				assert.Equal(t, wantClass, c.Class())
				assert.Equal(t, []string{doc.Constants.Audience}, c.Audience)
			}

			strict := airflowVerifier(t, doc, v.Verify, false)
			if strict == nil {
				assert.Equal(t, weak, w.defaults, "the secret is refused without the opt-in")
				return
			}
			_, err = strict.Verify(t.Context(), v.Token)
			require.ErrorIs(t, err, w.defaults)
		})
	}
}

// A token without scope is accepted only with AcceptMissingScope, as an
// execution token, and a token without iss only with
// InsecureAcceptMissingIssuer: each opt-in alone is not enough for the other.
func TestAirflowOptInsAreSeparate(t *testing.T) {
	t.Parallel()
	doc, err := airflowvec.Load("vectors.json")
	require.NoError(t, err)
	noScope, err := doc.Token("hs512_no_scope_runtime22")
	require.NoError(t, err)
	k, err := jwks.NewTextSecret(doc.Secrets["runtime_22"].Text, "", "", jwks.TextSecretOptions{
		InsecureShortSecret: true, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	st, err := jwks.NewStatic(k.Public())
	require.NoError(t, err)
	for _, tc := range []struct {
		scope, iss bool
		wantErr    error
	}{{false, false, token.ErrIssuer}, {true, false, token.ErrIssuer}, {false, true, token.ErrScope}, {true, true, nil}} {
		v, err := token.NewVerifier(token.VerifierConfig{
			Keys: st, Issuer: doc.Constants.Issuer, Audience: []string{doc.Constants.Audience},
			Algorithms: []jwks.Algorithm{jwks.HS512}, Now: noScope.Verify.Time,
			AcceptMissingScope: tc.scope, InsecureAcceptMissingIssuer: tc.iss,
		})
		require.NoError(t, err)
		_, err = v.Verify(t.Context(), noScope.Token)
		if tc.wantErr != nil {
			require.ErrorIs(t, err, tc.wantErr, "scope %v iss %v", tc.scope, tc.iss)
		} else {
			require.NoError(t, err)
		}
	}
}
