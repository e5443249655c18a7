package refresh_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/refresh"
	"github.com/execauth/execauth/token"
)

// wire records what leaves a Transport, per request, and answers every
// request itself with 200 and a refresh header carrying tokB. No network.
type wire struct {
	mu   sync.Mutex
	sent map[string]string // URL → Authorization
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.sent[r.URL.String()] = r.Header.Get("Authorization")
	w.mu.Unlock()
	h := http.Header{}
	h.Set(refresh.DefaultHeader, string(tokB))
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: http.NoBody, Request: r}, nil
}

func (w *wire) auth(u string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent[u]
}

// TestTransportOrigin: the token goes only to the exact origin of BaseURL —
// scheme, host and port, a missing port being the scheme's default — and a
// refresh header is adopted only from a response to a request on it.
func TestTransportOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, target string
		on           bool
	}{
		{"https://api.internal", "https://api.internal/x", true},
		{"https://api.internal", "https://api.internal:443/x", true},
		{"https://api.internal", "HTTPS://API.Internal/x", true},
		{"https://api.internal:443", "https://api.internal/x", true},
		{"https://api.internal", "http://api.internal/x", false},
		{"https://api.internal", "http://api.internal:443/x", false},
		{"https://api.internal", "https://api.internal:8443/x", false},
		{"https://api.internal", "https://api.internal.attacker.example/x", false},
		{"https://api.internal", "https://attacker.example/api.internal", false},
		{"https://api.internal", "https://api.internal./x", false},
		{"https://api.internal:8443", "https://api.internal/x", false},
		{"https://api.internal:8443", "https://api.internal:8443/x", true},
		{"http://api.internal", "http://api.internal:80/x", true},
		{"http://api.internal", "https://api.internal/x", false},
		{"http://api.internal", "http://api.internal:443/x", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/x", true},
		{"http://127.0.0.1:8080", "https://127.0.0.1:8080/x", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1/x", false},
		{"http://127.0.0.1:8080", "http://localhost:8080/x", false},
		{"https://[::1]:8443", "https://[::1]:8443/x", true},
		{"https://[::1]:8443", "https://[::1]/x", false},
	}
	for _, tc := range tests {
		t.Run(tc.base+" "+tc.target, func(t *testing.T) {
			t.Parallel()
			w := &wire{sent: map[string]string{}}
			tr, err := refresh.NewTransport(refresh.TransportConfig{Base: w, Source: refresh.StaticSource(tokA), BaseURL: tc.base})
			require.NoError(t, err)
			home := strings.TrimSuffix(tc.base, "/") + "/home"

			for _, u := range []string{tc.target, home} {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
				require.NoError(t, err)
				res, err := tr.RoundTrip(req)
				require.NoError(t, err)
				res.Body.Close()
			}

			wantTarget, wantHome := "", "Bearer "+string(tokA)
			if tc.on {
				wantTarget, wantHome = "Bearer "+string(tokA), "Bearer "+string(tokB)
			}
			assert.Equal(t, wantTarget, w.auth(mustURL(t, tc.target)), "token on the target request")
			assert.Equal(t, wantHome, w.auth(home), "a refresh header is adopted only from the origin")
		})
	}
}

func mustURL(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u.String()
}

// downgrade is a network where the API is served over TLS on 127.0.0.1:P
// and an attacker answers cleartext http on the same host and port: Base
// sends https requests to the TLS server and http ones to the attacker's
// server, so that "http://127.0.0.1:P" differs from the origin only in its
// scheme. It records the Authorization of every request per scheme.
type downgrade struct {
	api, attacker *httptest.Server
	mu            sync.Mutex
	auth          map[string][]string // scheme → Authorization of each request
}

func newDowngrade(t *testing.T, attacker func(d *downgrade) http.HandlerFunc) *downgrade {
	t.Helper()
	d := &downgrade{auth: map[string][]string{}}
	d.api = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" { // a same-host redirect to http, as a misconfigured proxy sends
			http.Redirect(w, r, "http://"+r.Host+"/landing", http.StatusFound)
		}
	}))
	t.Cleanup(d.api.Close)
	d.attacker = httptest.NewServer(attacker(d))
	t.Cleanup(d.attacker.Close)
	return d
}

func (d *downgrade) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.auth[r.URL.Scheme] = append(d.auth[r.URL.Scheme], r.Header.Get("Authorization"))
	d.mu.Unlock()
	if r.URL.Scheme == "https" {
		return d.api.Client().Transport.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	out.URL.Host, out.Host = strings.TrimPrefix(d.attacker.URL, "http://"), ""
	return d.attacker.Client().Transport.RoundTrip(out)
}

func (d *downgrade) seen(scheme string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.auth[scheme]...)
}

func (d *downgrade) client(t *testing.T) *http.Client {
	t.Helper()
	require.True(t, strings.HasPrefix(d.api.URL, "https://127.0.0.1:"))
	tr, err := refresh.NewTransport(refresh.TransportConfig{Base: d, Source: refresh.StaticSource(tokA), BaseURL: d.api.URL})
	require.NoError(t, err)
	return &http.Client{Transport: tr}
}

// TestTransportDowngradeRedirectLeaksNoToken: the API redirects to http on
// the same host and port; the cleartext hop goes out without the token.
func TestTransportDowngradeRedirectLeaksNoToken(t *testing.T) {
	t.Parallel()
	d := newDowngrade(t, func(*downgrade) http.HandlerFunc { return func(http.ResponseWriter, *http.Request) {} })
	client := d.client(t)

	res := get(t, client, d.api.URL+"/away")

	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, []string{"Bearer " + string(tokA)}, d.seen("https"))
	assert.Equal(t, []string{""}, d.seen("http"), "the http hop carries no Authorization")
}

// TestTransportCleartextCannotPlantToken: an attacker answering the http
// hop hands out its own token and redirects back to the API; the planted
// token is never sent, on that redirect or later.
func TestTransportCleartextCannotPlantToken(t *testing.T) {
	t.Parallel()
	const planted = token.Raw("evil.evil.evil")
	d := newDowngrade(t, func(d *downgrade) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(refresh.DefaultHeader, string(planted))
			http.Redirect(w, r, d.api.URL+"/back", http.StatusFound)
		}
	})
	client := d.client(t)

	get(t, client, d.api.URL+"/away")
	get(t, client, d.api.URL+"/later")

	want := "Bearer " + string(tokA)
	assert.Equal(t, []string{want, want, want}, d.seen("https"), "away, back and later carry the source's token")
	assert.Equal(t, []string{""}, d.seen("http"))
}
