package refresh_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// Tokens with the form of a compact JWS; the test servers compare strings.
const (
	tokA = token.Raw("aaaa.aaaa.aaaa")
	tokB = token.Raw("bbbb.bbbb.bbbb")
	tokC = token.Raw("cccc.cccc.cccc")
)

// hit is what a test server saw of one request.
type hit struct {
	auth, body string
}

// api is a test server that accepts the tokens in accept, answers 401
// otherwise, and can hand out a refresh header.
type api struct {
	mu      sync.Mutex
	hits    []hit
	accept  map[string]bool
	refresh []string // values of the refresh header on every response
	code    int      // status for accepted requests; 0 means 200
	away    string   // where GET /away redirects
	srv     *httptest.Server
}

func newAPI(t *testing.T, accept ...token.Raw) *api {
	t.Helper()
	a := &api{accept: map[string]bool{}}
	for _, tok := range accept {
		a.accept["Bearer "+string(tok)] = true
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.hits = append(a.hits, hit{auth: r.Header.Get("Authorization"), body: string(b)})
		for _, v := range a.refresh {
			w.Header().Add(refresh.DefaultHeader, v)
		}
		switch {
		case r.URL.Path == "/away":
			http.Redirect(w, r, a.away, http.StatusFound)
		case !a.accept[r.Header.Get("Authorization")]:
			w.WriteHeader(http.StatusUnauthorized)
		case a.code != 0:
			w.WriteHeader(a.code)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *api) seen() []hit {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]hit(nil), a.hits...)
}

func (a *api) set(fn func(a *api)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a)
}

func (a *api) transport(t *testing.T, src refresh.Source) *refresh.Transport {
	t.Helper()
	tr, err := refresh.NewTransport(refresh.TransportConfig{
		Base: a.srv.Client().Transport, Source: src, BaseURL: a.srv.URL,
	})
	require.NoError(t, err)
	return tr
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	res, err := c.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

type pinned struct{ refresh.Source }

func (pinned) Pinned() bool { return true }

// TestTransportRedirectToOtherHost: the token goes only to the origin, even when
// that host redirects the client elsewhere, and the other host cannot plant
// a token either.
func TestTransportRedirectToOtherHost(t *testing.T) {
	t.Parallel()
	other := newAPI(t, tokA)
	other.set(func(a *api) { a.refresh = []string{string(tokC)} })
	home := newAPI(t, tokA)
	home.set(func(a *api) { a.away = other.srv.URL + "/landing" })
	tr := home.transport(t, refresh.StaticSource(tokA))
	client := &http.Client{Transport: tr}

	res := get(t, client, home.srv.URL+"/away")
	get(t, client, home.srv.URL+"/after")

	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "the other host saw no token")
	require.Len(t, other.seen(), 1, "redirect followed")
	assert.Empty(t, other.seen()[0].auth)
	require.Len(t, home.seen(), 2)
	assert.Equal(t, "Bearer "+string(tokA), home.seen()[0].auth)
	assert.Equal(t, "Bearer "+string(tokA), home.seen()[1].auth, "refresh header of another host ignored")
}

func TestTransportSwap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		code    int
		refresh []string
		want    token.Raw // sent on the next request
	}{
		{name: "200 with a token", refresh: []string{string(tokB)}, want: tokB},
		{name: "500 with a token", code: http.StatusInternalServerError, refresh: []string{string(tokB)}, want: tokB},
		{name: "no header", want: tokA},
		{name: "two values", refresh: []string{string(tokB), string(tokC)}, want: tokA},
		{name: "two segments", refresh: []string{"bbbb.bbbb"}, want: tokA},
		{name: "four segments", refresh: []string{"bbbb.bbbb.bbbb.bbbb"}, want: tokA},
		{name: "empty segment", refresh: []string{"bbbb..bbbb"}, want: tokA},
		{name: "padding", refresh: []string{"bbbb.bbbb.bbb="}, want: tokA},
		{name: "space inside", refresh: []string{"bbbb.bb bb.bbbb"}, want: tokA},
		{name: "another scheme", refresh: []string{"Basic YTpi"}, want: tokA},
		{name: "longer than 8 KiB", refresh: []string{"b." + strings.Repeat("b", 8<<10) + ".b"}, want: tokA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, tokA, tokB)
			a.set(func(a *api) { a.code, a.refresh = tc.code, tc.refresh })
			client := &http.Client{Transport: a.transport(t, refresh.StaticSource(tokA))}

			get(t, client, a.srv.URL)
			a.set(func(a *api) { a.refresh = nil })
			get(t, client, a.srv.URL)

			hits := a.seen()
			require.Len(t, hits, 2)
			assert.Equal(t, "Bearer "+string(tokA), hits[0].auth)
			assert.Equal(t, "Bearer "+string(tc.want), hits[1].auth)
		})
	}
}

func TestTransportPinnedIgnoresRefresh(t *testing.T) {
	t.Parallel()
	a := newAPI(t, tokA, tokB)
	a.set(func(a *api) { a.refresh = []string{string(tokB)} })
	client := &http.Client{Transport: a.transport(t, pinned{refresh.StaticSource(tokA)})}

	get(t, client, a.srv.URL)
	get(t, client, a.srv.URL)

	for _, h := range a.seen() {
		assert.Equal(t, "Bearer "+string(tokA), h.auth)
	}
}

type failingSource struct{ tok token.Raw }

var errSource = errors.New("source down")

func (s failingSource) Token(context.Context) (token.Raw, error) {
	if s.tok != "" {
		return s.tok, nil
	}
	return "", errSource
}

type bodyCloseCheck struct {
	io.Reader
	closed bool
}

func (b *bodyCloseCheck) Close() error { b.closed = true; return nil }

func TestTransportSourceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     refresh.Source
		wantErr error
	}{
		{name: "source fails", src: failingSource{}, wantErr: errSource},
		{name: "empty token", src: refresh.StaticSource(""), wantErr: refresh.ErrMalformed},
		{name: "token with a space", src: failingSource{tok: "a b"}, wantErr: refresh.ErrMalformed},
		{name: "token with CRLF", src: failingSource{tok: "a\r\nX-Admin: 1"}, wantErr: refresh.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t)
			body := &bodyCloseCheck{Reader: strings.NewReader("x")}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.srv.URL, body)
			require.NoError(t, err)

			res, err := a.transport(t, tc.src).RoundTrip(req)

			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, res)
			assert.True(t, body.closed, "RoundTrip closes the body on error")
			assert.Empty(t, a.seen())
		})
	}
}

func TestNewTransportConfig(t *testing.T) {
	t.Parallel()
	src := refresh.StaticSource(tokA)
	tests := []struct {
		name    string
		baseURL string
		header  string
		source  refresh.Source
	}{
		{name: "no source", baseURL: "https://api.example.com"},
		{name: "no base URL", source: src},
		{name: "bare host", baseURL: "api.example.com", source: src},
		{name: "host and port", baseURL: "api.example.com:8443", source: src},
		{name: "scheme-relative", baseURL: "//api.example.com", source: src},
		{name: "another scheme", baseURL: "ftp://api.example.com", source: src},
		{name: "no host", baseURL: "https://", source: src},
		{name: "no host, a port", baseURL: "https://:8443", source: src},
		{name: "with path", baseURL: "https://api.example.com/execution", source: src},
		{name: "with user", baseURL: "https://u@api.example.com", source: src},
		{name: "with query", baseURL: "https://api.example.com?a=b", source: src},
		{name: "with empty query", baseURL: "https://api.example.com?", source: src},
		{name: "with fragment", baseURL: "https://api.example.com#x", source: src},
		{name: "bad port", baseURL: "https://api.example.com:https", source: src},
		{name: "bad header", baseURL: "https://api.example.com", header: "a b", source: src},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := refresh.NewTransport(refresh.TransportConfig{Source: tc.source, BaseURL: tc.baseURL, Header: tc.header})
			require.ErrorIs(t, err, refresh.ErrConfig)
			assert.Nil(t, tr)
		})
	}
	for _, u := range []string{
		"https://api.example.com", "https://api.example.com/", "HTTPS://API.example.com:8443",
		"http://127.0.0.1:8080", "https://[::1]:8443", "https://api.example.com:",
	} {
		_, err := refresh.NewTransport(refresh.TransportConfig{Source: src, BaseURL: u})
		assert.NoError(t, err, u)
	}
}
