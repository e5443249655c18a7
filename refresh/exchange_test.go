package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

func TestExchange(t *testing.T) {
	t.Parallel()
	const life = time.Hour
	tests := []struct {
		name    string
		claims  func(t *testing.T, f *fixture) *token.Claims
		want    bool // an execution token in the header
		wantErr error
	}{
		{
			name: "workload token starts a chain",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				return f.verify(t, f.mint(t, scope.Workload, t0, life))
			},
			want: true,
		},
		{
			name: "execution token: nothing to do",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				return f.verify(t, f.mint(t, scope.Execution, t0, 10*time.Minute))
			},
		},
		{
			name: "processor token",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.issuer, token.Claims{Subject: "dag-processor", Scope: scope.Set{scope.Processor}})
				return f.verify(t, raw)
			},
			wantErr: refresh.ErrNotExchangeable,
		},
		{
			name:    "no claims",
			claims:  func(*testing.T, *fixture) *token.Claims { return nil },
			wantErr: refresh.ErrNoClaims,
		},
		{
			name: "workload token of another issuer",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := mintWith(t, f.newIssuer(t, "other", f.key), token.Claims{Scope: scope.Set{scope.Workload}})
				c, err := newVerifier(t, "other", f.clock, f.key.Public()).Verify(t.Context(), string(raw))
				require.NoError(t, err)
				return c
			},
			wantErr: refresh.ErrNotExchangeable,
		},
		{
			name: "workload token signed by a trusted key the issuer does not hold",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				foreign := testkit.Key(t, jwks.ES256, "")
				raw := mintWith(t, f.newIssuer(t, "iss", foreign), token.Claims{Scope: scope.Set{scope.Workload}})
				c, err := newVerifier(t, "iss", f.clock, f.key.Public(), foreign.Public()).Verify(t.Context(), string(raw))
				require.NoError(t, err)
				return c
			},
			wantErr: refresh.ErrNotExchangeable,
		},
		{
			name: "workload token at exp, inside verifier leeway",
			claims: func(t *testing.T, f *fixture) *token.Claims {
				raw := f.mint(t, scope.Workload, t0, life)
				f.clock.Set(t0.Add(life))
				return f.verify(t, raw)
			},
			wantErr: refresh.ErrNotExchangeable,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c := tc.claims(t, f)
			req := httptest.NewRequest(http.MethodPatch, "/task-instances/x/run", nil)
			if c != nil {
				req = req.WithContext(token.NewContext(req.Context(), c))
			}
			rec := httptest.NewRecorder()

			err := f.reissuer(t, nil).Exchange(rec, req)

			got := rec.Header().Get(refresh.DefaultHeader)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			if !tc.want {
				assert.Empty(t, got)
				return
			}
			next, err := f.verifier.Verify(t.Context(), got)
			require.NoError(t, err)
			assert.Equal(t, scope.Execution, next.Class())
			assert.Equal(t, c.Subject, next.Subject)
			assert.WithinDuration(t, f.clock.Now(), next.AuthTime, 0)
			assert.Contains(t, testkit.Payload(t, got), "auth_time")
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}
