package refresh

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/execauth/execauth/observe"
	"github.com/execauth/execauth/token"
)

// TransportConfig configures a [Transport].
type TransportConfig struct {
	// Base sends the requests. If nil, http.DefaultTransport is used.
	Base http.RoundTripper
	// Source supplies the token. Required.
	Source Source
	// BaseURL is the origin of the execution API: scheme, host and port, as
	// in "https://api.internal:8443"; without a port, the scheme's default
	// (443 for https, 80 for http) is meant. The token is sent only to
	// requests on exactly that origin, and only their responses may hand
	// over a new token: a request to another host, another port or over
	// another scheme — a same-host redirect from https to http included —
	// goes out untouched. A path, user, query or fragment is an error.
	// Required.
	BaseURL string
	// Header is the response header that carries a new token. If empty,
	// "Refreshed-API-Token" is used.
	Header string
	// Hooks receives an observe.Swap for each refresh header from the origin
	// and an observe.Retry for each 401 from it. If nil, nothing is reported.
	Hooks *observe.Hooks
}

// Transport is an http.RoundTripper that sends a bearer token to one origin
// and follows the token chain the server hands out:
//
//   - Every request on [TransportConfig.BaseURL]'s origin gets
//     "Authorization: Bearer <token>" on a clone of the request; requests
//     elsewhere pass through untouched. An http.Client calls RoundTrip for
//     every redirect, so a redirect off the origin carries no token either.
//   - A response to a request on the origin (any status) whose refresh
//     header holds a plausible token (one value, compact JWS form) replaces
//     the token for later requests, unless the Source is pinned ([Pinner]).
//     Once that happened, the chain has moved on: the Source's token, which
//     for a worker is its long-lived workload token, is never sent again.
//   - After a 401 it takes a newer token — one swapped in meanwhile by
//     another response, else from [Reloader.Reload], else, while the chain
//     has not moved on, from [Source.Token] — and, if it differs from the
//     token sent and the body can be replayed (no body, or GetBody set),
//     closes the first response and sends the request once more. Never more,
//     and never with an older token of the chain: a refused execution token
//     surfaces as the 401 it got, and later requests keep sending it.
//
// It is safe for concurrent use; when concurrent responses carry new tokens,
// the last one wins.
type Transport struct {
	base   http.RoundTripper
	source Source
	origin origin
	header string
	pinned bool
	hooks  *observe.Hooks

	mu sync.Mutex
	// swapped is the head of the chain once it moved on: the last token from
	// a refresh header (or from a reload after one). "" means ask the source.
	swapped token.Raw
	// left is the source's token the chain moved on from; it is never sent
	// again, even when a Reloader hands it back.
	left token.Raw
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport validates cfg and returns a Transport.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	if cfg.Source == nil {
		return nil, fmt.Errorf("%w: no token source", ErrConfig)
	}
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: no BaseURL", ErrConfig)
	}
	o, err := parseOrigin(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Header != "" && !validHeaderName(cfg.Header) {
		return nil, fmt.Errorf("%w: invalid header name", ErrConfig)
	}
	t := &Transport{base: cfg.Base, source: cfg.Source, origin: o, header: cfg.Header, hooks: cfg.Hooks}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.header == "" {
		t.header = DefaultHeader
	}
	if p, ok := cfg.Source.(Pinner); ok {
		t.pinned = p.Pinned()
	}
	return t, nil
}

// RoundTrip implements http.RoundTripper. It never modifies req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.origin.matches(req.URL) {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	sent, err := t.token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, req.Body, sent)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	noBody := req.Body == nil || req.Body == http.NoBody
	if !noBody && req.GetBody == nil {
		t.retryReport(ctx, observe.NotReplayable, nil)
		return resp, nil
	}
	next, err := t.fresh(ctx, sent)
	if err != nil {
		t.retryReport(ctx, observe.SourceError, nil)
		return resp, nil // the 401 is the better answer than a source error
	}
	if next == "" || next == sent || !sendable(string(next)) {
		t.retryReport(ctx, observe.Unchanged, nil)
		return resp, nil
	}
	body := req.Body
	if !noBody {
		if body, err = req.GetBody(); err != nil {
			t.retryReport(ctx, observe.NotReplayable, nil)
			return resp, nil
		}
	}
	// Drain a little so the connection can be reused, then let it go.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
	resp, err = t.send(req, body, next)
	t.retryReport(ctx, observe.Retried, resp)
	return resp, err
}

// send clones req with body and tok and sends it, then looks at the refresh
// header of the response.
func (t *Transport) send(req *http.Request, body io.ReadCloser, tok token.Raw) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Body = body
	out.Header.Set("Authorization", "Bearer "+string(tok))
	resp, err := t.base.RoundTrip(out)
	if err == nil {
		t.observe(req.Context(), resp, tok)
	}
	return resp, err
}

// token returns the token to send: the head of the chain once it moved on,
// else the source's.
func (t *Transport) token(ctx context.Context) (token.Raw, error) {
	if tok := t.head(); tok != "" {
		return tok, nil
	}
	tok, err := t.source.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("refresh: token source: %w", err)
	}
	if !sendable(string(tok)) {
		return "", fmt.Errorf("%w: from the token source", ErrMalformed)
	}
	if head := t.head(); head != "" {
		return head, nil // the chain moved on while the source answered
	}
	return tok, nil
}

func (t *Transport) head() token.Raw {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.swapped
}

// fresh returns the token to retry with after sent got a 401, or "" if
// there is no newer one. Before the chain moved on, that is whatever the
// source has now. After, only a token swapped in meanwhile, or one a
// Reloader hands out that is neither the refused one nor the token the chain
// left; a refused head stays the head.
func (t *Transport) fresh(ctx context.Context, sent token.Raw) (token.Raw, error) {
	t.mu.Lock()
	cur, left := t.swapped, t.left
	t.mu.Unlock()
	if cur != "" && cur != sent {
		return cur, nil // another response moved the chain on meanwhile
	}
	r, reloads := t.source.(Reloader)
	switch {
	case cur == "" && reloads:
		return r.Reload(ctx)
	case cur == "":
		return t.source.Token(ctx)
	case !reloads:
		return "", nil // the source holds only the token the chain left
	}
	next, err := r.Reload(ctx)
	if err != nil || next == left || next == sent || !sendable(string(next)) {
		return "", err
	}
	t.mu.Lock()
	if t.swapped == cur {
		t.swapped = next
	}
	t.mu.Unlock()
	return next, nil
}

// observe swaps in the token of resp's refresh header, if it carries exactly
// one plausible token and the source is not pinned. sent is the token of the
// request: on the first swap it is the source's, which the chain leaves.
// Only responses to requests on the origin get here.
func (t *Transport) observe(ctx context.Context, resp *http.Response, sent token.Raw) {
	v := resp.Header.Values(t.header)
	switch {
	case len(v) == 0:
		return
	case t.pinned:
		t.swapReport(ctx, resp, observe.Pinned)
		return
	case len(v) != 1 || !plausible(v[0]):
		t.swapReport(ctx, resp, observe.Malformed)
		return
	}
	t.mu.Lock()
	if t.swapped == "" {
		t.left = sent
	}
	t.swapped = token.Raw(v[0])
	t.mu.Unlock()
	t.swapReport(ctx, resp, observe.Swapped)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
