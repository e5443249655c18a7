package benchmarks

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/token"
)

// TestContendersAgree keeps the comparison honest: on the same tokens every
// contender accepts what execauth accepts and rejects what it rejects, so no
// contender is fast because it checks less. The floor checks the signature
// only, so it accepts every correctly signed token.
func TestContendersAgree(t *testing.T) {
	t.Parallel()
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			f, cs := setup(t, alg)
			now := time.Now().Unix()
			good := claimsOf(t, f)
			// with returns the good claims with edits applied; nil deletes.
			with := func(edits map[string]any) map[string]any {
				m := maps.Clone(good)
				for k, v := range edits {
					if v == nil {
						delete(m, k)
						continue
					}
					m[k] = v
				}
				return m
			}
			tests := []struct {
				name    string
				raw     string
				signed  bool  // correctly signed with f's key: the floor accepts
				accept  bool  // every other contender accepts
				wantErr error // execauth's reason for rejecting
			}{
				{name: "minted token", raw: f.token, signed: true, accept: true},
				{name: "re-signed unchanged", raw: forge(t, f, good), signed: true, accept: true},
				{name: "expired inside leeway", raw: forge(t, f, with(map[string]any{"iat": now - 600, "nbf": now - 600, "exp": now - 5})), signed: true, accept: true},
				// Tampering: nobody accepts.
				{name: "payload swapped", raw: splice(t, f, with(map[string]any{"sub": uuid.NewString()})), wantErr: token.ErrSignature},
				{name: "signature flipped", raw: flipSignature(t, f), wantErr: token.ErrSignature},
				{name: "alg none, no signature", raw: unsigned(t, f), wantErr: token.ErrMalformed},
				// Correctly signed but out of policy: only the floor accepts.
				{name: "issuer other", raw: forge(t, f, with(map[string]any{"iss": "https://evil.example"})), signed: true, wantErr: token.ErrIssuer},
				{name: "audience other", raw: forge(t, f, with(map[string]any{"aud": "other-api"})), signed: true, wantErr: token.ErrAudience},
				{name: "expired beyond leeway", raw: forge(t, f, with(map[string]any{"iat": now - 600, "nbf": now - 600, "exp": now - 60})), signed: true, wantErr: token.ErrExpired},
				{name: "nbf in the future", raw: forge(t, f, with(map[string]any{"nbf": now + 60})), signed: true, wantErr: token.ErrNotYetValid},
				{name: "iat in the future", raw: forge(t, f, with(map[string]any{"iat": now + 60, "nbf": now, "exp": now + 600})), signed: true, wantErr: token.ErrNotYetValid},
				{name: "exp missing", raw: forge(t, f, with(map[string]any{"exp": nil})), signed: true, wantErr: token.ErrClaims},
				{name: "iat missing", raw: forge(t, f, with(map[string]any{"iat": nil})), signed: true, wantErr: token.ErrClaims},
				{name: "lifetime too long", raw: forge(t, f, with(map[string]any{"iat": now, "exp": now + int64(2*lifetime/time.Second)})), signed: true, wantErr: token.ErrLifetime},
				{name: "workload class", raw: forge(t, f, with(map[string]any{"scope": "workload"})), signed: true, wantErr: errClass},
				{name: "sub not a task id", raw: forge(t, f, with(map[string]any{"sub": "task-1"})), signed: true, wantErr: token.ErrSubject},
			}
			for _, tc := range tests {
				for _, c := range cs {
					name := tc.name + "/" + c.name
					if c.request {
						name += " middleware"
					}
					t.Run(name, func(t *testing.T) {
						err := c.prepare(tc.raw)()
						want := tc.accept
						if strings.HasPrefix(c.name, "floor") {
							want = tc.signed
						}
						if want {
							require.NoError(t, err)
							return
						}
						require.Error(t, err)
						switch {
						case c.request:
							assert.ErrorIs(t, err, errStatus)
						case strings.HasPrefix(c.name, "execauth"):
							assert.ErrorIs(t, err, tc.wantErr)
						}
					})
				}
			}
		})
	}
}

// TestMiddlewareRejection checks that a rejected request gets 401, not 500,
// from every middleware, and that the next handler is not reached.
func TestMiddlewareRejection(t *testing.T) {
	t.Parallel()
	f, cs := setup(t, "ES256")
	raw := flipSignature(t, f)
	for _, c := range cs {
		if !c.request {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			err := c.prepare(raw)()
			require.ErrorIs(t, err, errStatus)
			assert.Contains(t, err.Error(), "status 401")
		})
	}
}
