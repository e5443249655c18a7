package observe_test

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/observe"
)

// report calls every reporting method of h once.
func report(h *observe.Hooks) {
	ctx := context.Background()
	h.Auth(ctx, observe.Auth{})
	h.Reissue(ctx, observe.Reissue{})
	h.Fetch(ctx, observe.Fetch{})
	h.Stale(ctx, observe.Stale{})
	h.KeyMiss(ctx, observe.KeyMiss{})
	h.Revocation(ctx, observe.Revocation{})
	h.RevocationSync(ctx, observe.RevocationSync{})
	h.RevocationState(ctx, observe.RevocationState{})
	h.KeyReload(ctx, observe.KeyReload{})
	h.Swap(ctx, observe.Swap{})
	h.Retry(ctx, observe.Retry{})
	h.FileRead(ctx, observe.FileRead{})
}

// every returns hooks whose every func calls f with the hook's name.
func every(f func(name string)) *observe.Hooks {
	return &observe.Hooks{
		OnAuth:            func(context.Context, observe.Auth) { f("OnAuth") },
		OnReissue:         func(context.Context, observe.Reissue) { f("OnReissue") },
		OnFetch:           func(context.Context, observe.Fetch) { f("OnFetch") },
		OnStale:           func(context.Context, observe.Stale) { f("OnStale") },
		OnKeyMiss:         func(context.Context, observe.KeyMiss) { f("OnKeyMiss") },
		OnRevocation:      func(context.Context, observe.Revocation) { f("OnRevocation") },
		OnRevocationSync:  func(context.Context, observe.RevocationSync) { f("OnRevocationSync") },
		OnRevocationState: func(context.Context, observe.RevocationState) { f("OnRevocationState") },
		OnKeyReload:       func(context.Context, observe.KeyReload) { f("OnKeyReload") },
		OnSwap:            func(context.Context, observe.Swap) { f("OnSwap") },
		OnRetry:           func(context.Context, observe.Retry) { f("OnRetry") },
		OnFileRead:        func(context.Context, observe.FileRead) { f("OnFileRead") },
	}
}

var names = []string{"OnAuth", "OnReissue", "OnFetch", "OnStale", "OnKeyMiss", "OnRevocation", "OnRevocationSync", "OnRevocationState", "OnKeyReload", "OnSwap", "OnRetry", "OnFileRead"}

func TestReportCallsEachHook(t *testing.T) {
	t.Parallel()
	var called []string
	report(every(func(name string) { called = append(called, name) }))
	assert.Equal(t, names, called)
}

// names lists every hook field of Hooks, so that the tests above cover a new
// one.
func TestNamesListEveryHook(t *testing.T) {
	t.Parallel()
	var fields []string
	typ := reflect.TypeFor[observe.Hooks]()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; strings.HasPrefix(name, "On") {
			fields = append(fields, name)
		}
	}
	assert.Equal(t, names, fields)
}

func TestReportWithoutHooks(t *testing.T) {
	t.Parallel()
	var nilHooks *observe.Hooks
	assert.NotPanics(t, func() { report(nilHooks) })
	assert.NotPanics(t, func() { report(&observe.Hooks{}) })
	assert.Zero(t, nilHooks.Panics())
	assert.True(t, nilHooks.Time().IsZero(), "a nil Hooks does not read the clock")
}

// Every hook's panic is contained and counted; only the first is logged, by
// type, never by value.
func TestReportContainsPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := every(func(name string) { panic("secret-" + name) })
	h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	require.NotPanics(t, func() { report(h) })
	require.NotPanics(t, func() { report(h) })
	assert.EqualValues(t, 2*len(names), h.Panics())
	assert.Equal(t, 1, strings.Count(logs.String(), "\n"), logs.String())
	assert.Contains(t, logs.String(), "hook=OnAuth")
	assert.Contains(t, logs.String(), "panic_type=string")
	assert.NotContains(t, logs.String(), "secret")
}

func TestTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, at, (&observe.Hooks{Now: func() time.Time { return at }}).Time())
	assert.WithinDuration(t, time.Now(), (&observe.Hooks{}).Time(), time.Hour)
}
