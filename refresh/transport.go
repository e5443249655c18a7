package refresh

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/execauth/execauth/token"
)

// TransportConfig configures a [Transport].
type TransportConfig struct {
	// Base sends the requests. If nil, http.DefaultTransport is used.
	Base http.RoundTripper
	// Source supplies the token. Required.
	Source Source
	// Host is the host[:port] of the execution API, as in the request URL.
	// The token is sent only to requests whose URL host equals it (ignoring
	// letter case), so a redirect elsewhere never carries it. Required.
	Host string
	// Header is the response header that carries a new token. If empty,
	// "Refreshed-API-Token" is used.
	Header string
}

// Transport is an http.RoundTripper that sends a bearer token to one host and
// follows the token chain the server hands out:
//
//   - Every request to Host gets "Authorization: Bearer <token>" on a clone
//     of the request; requests to other hosts pass through untouched.
//   - A response from Host (any status) whose refresh header holds a
//     plausible token (one value, compact JWS form) replaces the token for
//     later requests, unless the Source is pinned ([Pinner]).
//   - After a 401 it takes a newer token — one swapped in meanwhile, else
//     from [Reloader.Reload] or [Source.Token] — and, if it differs from the
//     token sent and the body can be replayed (no body, or GetBody set),
//     closes the first response and sends the request once more. Never more.
//
// It is safe for concurrent use; when concurrent responses carry new tokens,
// the last one wins.
type Transport struct {
	base   http.RoundTripper
	source Source
	host   string
	header string
	pinned bool

	mu      sync.Mutex
	swapped token.Raw // the last token from a refresh header; "" means ask source
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport validates cfg and returns a Transport.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	switch {
	case cfg.Source == nil:
		return nil, fmt.Errorf("%w: no token source", ErrConfig)
	case !validHost(cfg.Host):
		return nil, fmt.Errorf("%w: Host must be host[:port]", ErrConfig)
	case cfg.Header != "" && !validHeaderName(cfg.Header):
		return nil, fmt.Errorf("%w: invalid header name", ErrConfig)
	}
	t := &Transport{base: cfg.Base, source: cfg.Source, host: cfg.Host, header: cfg.Header}
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

func validHost(h string) bool {
	if h == "" {
		return false
	}
	u, err := url.Parse("//" + h)
	return err == nil && u.Host == h && u.User == nil && u.Path == ""
}

// RoundTrip implements http.RoundTripper. It never modifies req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Host, t.host) {
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
		return resp, nil
	}
	next, err := t.fresh(ctx, sent)
	if err != nil || next == sent || !sendable(string(next)) {
		return resp, nil // the 401 is the better answer than a source error
	}
	body := req.Body
	if !noBody {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	// Drain a little so the connection can be reused, then let it go.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
	return t.send(req, body, next)
}

// send clones req with body and tok and sends it, then looks at the refresh
// header of the response.
func (t *Transport) send(req *http.Request, body io.ReadCloser, tok token.Raw) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Body = body
	out.Header.Set("Authorization", "Bearer "+string(tok))
	resp, err := t.base.RoundTrip(out)
	if err == nil {
		t.observe(resp)
	}
	return resp, err
}

// token returns the token to send: the swapped one, else the source's.
func (t *Transport) token(ctx context.Context) (token.Raw, error) {
	t.mu.Lock()
	tok := t.swapped
	t.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	tok, err := t.source.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("refresh: token source: %w", err)
	}
	if !sendable(string(tok)) {
		return "", fmt.Errorf("%w: from the token source", ErrMalformed)
	}
	return tok, nil
}

// fresh returns the token to retry with after sent got a 401. A swapped token
// that was refused is dropped, so later requests go back to the source.
func (t *Transport) fresh(ctx context.Context, sent token.Raw) (token.Raw, error) {
	t.mu.Lock()
	cur := t.swapped
	if cur == sent {
		t.swapped = ""
	}
	t.mu.Unlock()
	if cur != "" && cur != sent {
		return cur, nil
	}
	if r, ok := t.source.(Reloader); ok {
		return r.Reload(ctx)
	}
	return t.source.Token(ctx)
}

// observe swaps in the token of resp's refresh header, if it carries exactly
// one plausible token and the source is not pinned.
func (t *Transport) observe(resp *http.Response) {
	if t.pinned {
		return
	}
	v := resp.Header.Values(t.header)
	if len(v) != 1 || !plausible(v[0]) {
		return
	}
	t.mu.Lock()
	t.swapped = token.Raw(v[0])
	t.mu.Unlock()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
