package refresh_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// reloader returns toks[0] until Reload moves it along the list.
type reloader struct {
	mu   sync.Mutex
	toks []token.Raw
	i    int
	err  error
}

func (s *reloader) Token(context.Context) (token.Raw, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.toks[s.i], nil
}

func (s *reloader) Reload(context.Context) (token.Raw, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	s.i = min(s.i+1, len(s.toks)-1)
	return s.toks[s.i], nil
}

// sequence is a Source without Reload that returns the next token on every
// call.
type sequence struct {
	mu   sync.Mutex
	toks []token.Raw
}

func (s *sequence) Token(context.Context) (token.Raw, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.toks[0]
	if len(s.toks) > 1 {
		s.toks = s.toks[1:]
	}
	return tok, nil
}

// closeTracker records whether each response body it handed out was closed.
type closeTracker struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies []*trackedBody
}

type trackedBody struct {
	io.ReadCloser
	mu     sync.Mutex
	closed bool
}

func (b *trackedBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.ReadCloser.Close()
}

func (b *trackedBody) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func (c *closeTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.base.RoundTrip(r)
	if err == nil {
		tb := &trackedBody{ReadCloser: res.Body}
		res.Body = tb
		c.mu.Lock()
		c.bodies = append(c.bodies, tb)
		c.mu.Unlock()
	}
	return res, err
}

// TestTransportRetry: after a 401 the request is sent once more, only when
// the token changed and the body can be replayed.
func TestTransportRetry(t *testing.T) {
	t.Parallel()
	const body = `{"state":"success","end_date":"2025-03-01T12:00:00Z"}`
	tests := []struct {
		name      string
		source    func() refresh.Source
		accept    []token.Raw
		newReq    func(t *testing.T, u string) *http.Request
		wantHits  []token.Raw
		wantCode  int
		wantBody2 bool // the retry carried the same body
	}{
		{
			name:      "POST replayed once with the reloaded token",
			source:    func() refresh.Source { return &reloader{toks: []token.Raw{tokA, tokB}} },
			accept:    []token.Raw{tokB},
			newReq:    postWithGetBody(body),
			wantHits:  []token.Raw{tokA, tokB},
			wantCode:  http.StatusOK,
			wantBody2: true,
		},
		{
			name:      "never a third attempt",
			source:    func() refresh.Source { return &reloader{toks: []token.Raw{tokA, tokB, tokC}} },
			newReq:    postWithGetBody(body),
			wantHits:  []token.Raw{tokA, tokB},
			wantCode:  http.StatusUnauthorized,
			wantBody2: true,
		},
		{
			name:     "token did not change",
			source:   func() refresh.Source { return &reloader{toks: []token.Raw{tokA}} },
			newReq:   postWithGetBody(body),
			wantHits: []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "reload fails",
			source:   func() refresh.Source { return &reloader{toks: []token.Raw{tokA, tokB}, err: errors.New("gone")} },
			newReq:   postWithGetBody(body),
			wantHits: []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "reloaded token cannot be sent",
			source:   func() refresh.Source { return &reloader{toks: []token.Raw{tokA, "bbbb bbbb"}} },
			newReq:   postWithGetBody(body),
			wantHits: []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:   "body without GetBody",
			source: func() refresh.Source { return &reloader{toks: []token.Raw{tokA, tokB}} },
			accept: []token.Raw{tokB},
			newReq: func(t *testing.T, u string) *http.Request {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, io.NopCloser(strings.NewReader(body)))
				require.NoError(t, err)
				require.Nil(t, req.GetBody)
				return req
			},
			wantHits: []token.Raw{tokA},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:   "GET without body",
			source: func() refresh.Source { return &reloader{toks: []token.Raw{tokA, tokB}} },
			accept: []token.Raw{tokB},
			newReq: func(t *testing.T, u string) *http.Request {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
				require.NoError(t, err)
				return req
			},
			wantHits: []token.Raw{tokA, tokB},
			wantCode: http.StatusOK,
		},
		{
			name:     "source without Reload is asked again",
			source:   func() refresh.Source { return &sequence{toks: []token.Raw{tokA, tokB}} },
			accept:   []token.Raw{tokB},
			newReq:   postWithGetBody(body),
			wantHits: []token.Raw{tokA, tokB},
			wantCode: http.StatusOK, wantBody2: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, tc.accept...)
			tracker := &closeTracker{base: a.srv.Client().Transport}
			tr, err := refresh.NewTransport(refresh.TransportConfig{Base: tracker, Source: tc.source(), BaseURL: a.srv.URL})
			require.NoError(t, err)
			req := tc.newReq(t, a.srv.URL)
			auth := req.Header.Get("Authorization")

			res, err := tr.RoundTrip(req)
			require.NoError(t, err)
			res.Body.Close()

			assert.Equal(t, tc.wantCode, res.StatusCode)
			assert.Equal(t, auth, req.Header.Get("Authorization"), "caller's request not modified")
			hits := a.seen()
			require.Len(t, hits, len(tc.wantHits))
			for i, tok := range tc.wantHits {
				assert.Equal(t, "Bearer "+string(tok), hits[i].auth)
			}
			if tc.wantBody2 {
				assert.Equal(t, body, hits[0].body)
				assert.Equal(t, body, hits[1].body)
			}
			if len(hits) == 2 {
				assert.True(t, tracker.bodies[0].isClosed(), "first response closed before the retry")
			}
		})
	}
}

func postWithGetBody(body string) func(t *testing.T, u string) *http.Request {
	return func(t *testing.T, u string) *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(body))
		require.NoError(t, err)
		require.NotNil(t, req.GetBody)
		return req
	}
}

// TestTransportSwappedTokenRefused: a swapped-in token that gets a 401 is
// dropped and the source's token is used again.
func TestTransportSwappedTokenRefused(t *testing.T) {
	t.Parallel()
	a := newAPI(t, tokA, tokC)
	a.set(func(a *api) { a.refresh = []string{string(tokB)} })
	client := &http.Client{Transport: a.transport(t, &reloader{toks: []token.Raw{tokA, tokC}})}

	get(t, client, a.srv.URL) // A accepted, B handed out
	a.set(func(a *api) { a.refresh = nil })
	res := get(t, client, a.srv.URL) // B refused, retried with C (reloaded)
	get(t, client, a.srv.URL)        // C from the source, B forgotten

	hits := a.seen()
	require.Len(t, hits, 4)
	assert.Equal(t, "Bearer "+string(tokB), hits[1].auth)
	assert.Equal(t, "Bearer "+string(tokC), hits[2].auth)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "Bearer "+string(tokC), hits[3].auth)
}
