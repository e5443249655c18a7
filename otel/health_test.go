package execotel_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/observe"
	execotel "github.com/execauth/execauth/otel"
	"github.com/execauth/execauth/revoke"
)

// newMetrics returns hooks from New reading time from clock, and their
// reader.
func newMetrics(t *testing.T, clock *authtest.Clock) (*observe.Hooks, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	hooks, err := execotel.New(execotel.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), Now: clock.Now})
	require.NoError(t, err)
	return hooks, reader
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	return rm
}

// downStore is a revocation store whose reads fail while down is set.
type downStore struct {
	revoke.Store
	down atomic.Bool
}

func (s *downStore) Since(ctx context.Context, cursor string) ([]revoke.Entry, string, error) {
	if s.down.Load() {
		return nil, "", errors.New("store down")
	}
	return s.Store.Since(ctx, cursor)
}

// TestRevocationSyncMetrics: syncs are counted by outcome, and the staleness
// gauge is the age of the list's view, which a failed sync does not renew.
func TestRevocationSyncMetrics(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	hooks, reader := newMetrics(t, clock)

	rm := collect(t, reader)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			assert.NotEqual(t, "execauth.revocation.staleness", m.Name, "no list has synced: no point")
		}
	}

	store := &downStore{Store: revoke.NewMemory(clock.Now)}
	list, err := revoke.NewList(t.Context(), revoke.Config{
		Store: store, Now: clock.Now, Hooks: hooks, PollInterval: time.Hour, MaxStale: 2 * time.Hour,
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(list.Close)

	clock.Advance(10 * time.Second)
	require.NoError(t, list.Sync(t.Context()))
	store.down.Store(true)
	clock.Advance(30 * time.Second)
	require.ErrorIs(t, list.Sync(t.Context()), revoke.ErrUnavailable)

	rm = collect(t, reader)
	assert.Equal(t, map[string]int64{"execauth.outcome=ok": 2, "execauth.outcome=error": 1}, sums(t, rm, "execauth.revocation.syncs"))
	staleness, ok := find(t, rm, "execauth.revocation.staleness").Data.(metricdata.Gauge[float64])
	require.True(t, ok)
	require.Len(t, staleness.DataPoints, 1)
	assert.Empty(t, labels(staleness.DataPoints[0].Attributes))
	assert.InDelta(t, 30, staleness.DataPoints[0].Value, 1e-9, "seconds since the last successful sync")

	store.down.Store(false)
	require.NoError(t, list.Sync(t.Context()))
	staleness = find(t, collect(t, reader), "execauth.revocation.staleness").Data.(metricdata.Gauge[float64])
	assert.Zero(t, staleness.DataPoints[0].Value, "fresh again")
}

// TestKeyReloadMetrics: reads of a key directory are counted by outcome
// and, for a refused one, reason; no path, kid or file name is a label.
func TestKeyReloadMetrics(t *testing.T) {
	t.Parallel()
	clock := authtest.NewClock(t0)
	hooks, reader := newMetrics(t, clock)
	path := filepath.Join(t.TempDir(), "keys")
	active, err := jwks.Generate(jwks.EdDSA)
	require.NoError(t, err)
	dir, err := jwks.InitDir(t.Context(), jwks.DirConfig{
		Path: path, Reload: -1, Now: clock.Now, Hooks: hooks, Logger: slog.New(slog.DiscardHandler),
	}, active)
	require.NoError(t, err)
	t.Cleanup(dir.Close)

	next, err := jwks.Generate(jwks.EdDSA)
	require.NoError(t, err)
	require.NoError(t, dir.Publish(t.Context(), next))
	require.NoError(t, dir.Reload(t.Context()))
	require.NoError(t, os.Chmod(filepath.Join(path, next.ID()+".pem"), 0o644))
	require.ErrorIs(t, dir.Reload(t.Context()), jwks.ErrFileMode)
	require.NoError(t, os.Remove(filepath.Join(path, jwks.ManifestName)))
	require.ErrorIs(t, dir.Reload(t.Context()), os.ErrNotExist)

	reloads := sums(t, collect(t, reader), "execauth.keys.reloads")
	assert.Equal(t, map[string]int64{
		"execauth.outcome=applied":                           2, // InitDir's, the publication
		"execauth.outcome=unchanged":                         1,
		"execauth.outcome=refused,execauth.reason=file_mode": 1,
		"execauth.outcome=refused,execauth.reason=missing":   1,
	}, reloads)
	for l := range reloads {
		for _, bad := range []string{path, active.ID(), next.ID(), ".pem"} {
			assert.False(t, strings.Contains(l, bad), "%s holds %s", l, bad)
		}
	}
}
