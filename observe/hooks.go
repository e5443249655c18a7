package observe

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Hooks receives the events of the components it is given to. Every field
// is optional: a nil func is not called, and a nil *Hooks reports nothing.
// Set the fields before passing Hooks to a Config and do not change them
// afterwards; components read them while serving, and some note at
// construction which ones are set.
//
// The funcs may be called concurrently from many goroutines. They run on the
// goroutine that decided, often on the request path, so they must return
// quickly. Use a Hooks by pointer (it counts panics); the methods are safe
// for concurrent use.
type Hooks struct {
	// OnAuth receives every decision of middleware.Authenticate and every
	// refusal by a route requirement inside it. If nil, none is reported.
	OnAuth func(context.Context, Auth)
	// OnReissue receives every reissue and run-exchange decision of
	// refresh.Reissuer. If nil, none is reported.
	OnReissue func(context.Context, Reissue)
	// OnFetch receives the result of every JWK Set fetch of jwks.Cache, one
	// per URL. If nil, none is reported.
	OnFetch func(context.Context, Fetch)
	// OnStale receives each time jwks.Cache stops using a URL's keys because
	// its last successful fetch is MaxStale old. If nil, none is reported.
	OnStale func(context.Context, Stale)
	// OnKeyMiss receives what jwks.Cache's unknown-kid refresh limiter did
	// for each lookup of a kid it does not hold. If nil, none is reported.
	OnKeyMiss func(context.Context, KeyMiss)
	// OnRevocation receives every token that token.Verifier refused as
	// revoked, or could not check. If nil, none is reported.
	OnRevocation func(context.Context, Revocation)
	// OnRevocationSync receives the result of every sync of revoke.List
	// with its store. If nil, none is reported.
	OnRevocationSync func(context.Context, RevocationSync)
	// OnRevocationState receives each change of the freshness of
	// revoke.List's view: past MaxStale (failing open or closed), and back.
	// If nil, none is reported.
	OnRevocationState func(context.Context, RevocationState)
	// OnKeyReload receives every read of a jwks.Dir key directory: a state
	// applied, the same state again, or one refused. If nil, none is
	// reported.
	OnKeyReload func(context.Context, KeyReload)
	// OnSwap receives every refresh header refresh.Transport adopted or
	// ignored. If nil, none is reported.
	OnSwap func(context.Context, Swap)
	// OnRetry receives what refresh.Transport did after each 401. If nil,
	// none is reported.
	OnRetry func(context.Context, Retry)
	// OnFileRead receives every read of refresh.FileSource's token file. If
	// nil, none is reported.
	OnFileRead func(context.Context, FileRead)

	// Now returns the current time, for the Start and Duration of events. If
	// nil, time.Now is used. Tests pass a clock that moves on each call to
	// see exact durations.
	Now func() time.Time
	// Logger receives the first panic of a hook, by type only. If nil,
	// slog.Default() is used.
	Logger *slog.Logger

	panics atomic.Int64
}

// Time returns the current time by [Hooks.Now]; components call it to
// time what they report. It returns the zero Time for a nil h.
func (h *Hooks) Time() time.Time {
	switch {
	case h == nil:
		return time.Time{}
	case h.Now != nil:
		return h.Now()
	}
	return time.Now()
}

// Panics returns how many times a hook has panicked.
func (h *Hooks) Panics() int64 {
	if h == nil {
		return 0
	}
	return h.panics.Load()
}

// contain recovers a hook's panic, counts it and logs the first one. The
// value is not logged: a hook may have panicked with whatever it was
// handling.
func (h *Hooks) contain(hook string) {
	v := recover()
	if v == nil {
		return
	}
	if h.panics.Add(1) != 1 {
		return
	}
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(context.Background(), slog.LevelError, "observe: a hook panicked; later panics are only counted",
		slog.String("hook", hook), slog.String("panic_type", fmt.Sprintf("%T", v)))
}

// Auth reports e to OnAuth. Components call it; so may a host's own code.
func (h *Hooks) Auth(ctx context.Context, e Auth) {
	if h == nil || h.OnAuth == nil {
		return
	}
	defer h.contain("OnAuth")
	h.OnAuth(ctx, e)
}

// Reissue reports e to OnReissue.
func (h *Hooks) Reissue(ctx context.Context, e Reissue) {
	if h == nil || h.OnReissue == nil {
		return
	}
	defer h.contain("OnReissue")
	h.OnReissue(ctx, e)
}

// Fetch reports e to OnFetch.
func (h *Hooks) Fetch(ctx context.Context, e Fetch) {
	if h == nil || h.OnFetch == nil {
		return
	}
	defer h.contain("OnFetch")
	h.OnFetch(ctx, e)
}

// Stale reports e to OnStale.
func (h *Hooks) Stale(ctx context.Context, e Stale) {
	if h == nil || h.OnStale == nil {
		return
	}
	defer h.contain("OnStale")
	h.OnStale(ctx, e)
}

// KeyMiss reports e to OnKeyMiss.
func (h *Hooks) KeyMiss(ctx context.Context, e KeyMiss) {
	if h == nil || h.OnKeyMiss == nil {
		return
	}
	defer h.contain("OnKeyMiss")
	h.OnKeyMiss(ctx, e)
}

// Revocation reports e to OnRevocation.
func (h *Hooks) Revocation(ctx context.Context, e Revocation) {
	if h == nil || h.OnRevocation == nil {
		return
	}
	defer h.contain("OnRevocation")
	h.OnRevocation(ctx, e)
}

// Swap reports e to OnSwap.
func (h *Hooks) Swap(ctx context.Context, e Swap) {
	if h == nil || h.OnSwap == nil {
		return
	}
	defer h.contain("OnSwap")
	h.OnSwap(ctx, e)
}

// Retry reports e to OnRetry.
func (h *Hooks) Retry(ctx context.Context, e Retry) {
	if h == nil || h.OnRetry == nil {
		return
	}
	defer h.contain("OnRetry")
	h.OnRetry(ctx, e)
}

// FileRead reports e to OnFileRead.
func (h *Hooks) FileRead(ctx context.Context, e FileRead) {
	if h == nil || h.OnFileRead == nil {
		return
	}
	defer h.contain("OnFileRead")
	h.OnFileRead(ctx, e)
}
