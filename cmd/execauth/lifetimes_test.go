package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
	"github.com/execauth/execauth/token"
)

// TestServerRefusesLifetimesItWouldReject: a reference server whose issuer
// mints tokens longer-lived than its own verifier accepts would hand out
// execution tokens that every later request rejects; it fails to start.
func TestServerRefusesLifetimesItWouldReject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ttl     token.Lifetimes
		wantErr error
	}{
		{name: "defaults"},
		{name: "shorter lifetimes", ttl: demoTTL},
		{name: "20m execution tokens", ttl: token.Lifetimes{Execution: 20 * time.Minute}, wantErr: token.ErrConfig},
		{name: "48h workload tokens", ttl: token.Lifetimes{Workload: 48 * time.Hour}, wantErr: token.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, err := newServer(context.Background(), serverConfig{
				key: testkit.Seeded(t, "", 1), issuer: testIss, audience: []string{testAud}, ttl: tc.ttl,
			})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, srv)
				return
			}
			require.NoError(t, err)
			srv.Close()
		})
	}
}
