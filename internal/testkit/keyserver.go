package testkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/execauth/execauth/jwks"
)

// KeyServer is a JWK Set endpoint on 127.0.0.1 whose answer a test changes
// while clients fetch from it. It is safe for concurrent use.
type KeyServer struct {
	*httptest.Server
	// Hits counts the requests served.
	Hits atomic.Int64

	mu     sync.Mutex
	answer http.HandlerFunc
}

// NewKeyServer starts a server that answers with the JWK Set of keys, and
// closes it when the test ends.
func NewKeyServer(t testing.TB, keys ...jwks.Key) *KeyServer {
	t.Helper()
	s := &KeyServer{}
	s.SetKeys(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		s.mu.Lock()
		answer := s.answer
		s.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// SetKeys makes the server answer with the JWK Set of keys.
func (s *KeyServer) SetKeys(t testing.TB, keys ...jwks.Key) {
	t.Helper()
	body, err := jwks.MarshalSet(keys...)
	if err != nil {
		t.Fatalf("testkit: marshal set: %v", err)
	}
	s.SetBody(body)
}

// SetJWKs makes the server answer with a JWK Set of the JWKs given as text,
// as written: hostile members included.
func (s *KeyServer) SetJWKs(jwks ...string) {
	s.SetBody([]byte(`{"keys":[` + strings.Join(jwks, ",") + `]}`))
}

// SetBody makes the server answer 200 with body as application/jwk-set+json.
func (s *KeyServer) SetBody(body []byte) {
	s.SetHandler(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	})
}

// SetHandler makes h answer every request from now on.
func (s *KeyServer) SetHandler(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = h
}

// JWK returns the public JWK of k as text, with extra members appended
// verbatim (start them with a comma).
func JWK(t testing.TB, k jwks.Key, extra string) string {
	t.Helper()
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatalf("testkit: marshal JWK: %v", err)
	}
	return strings.TrimSuffix(string(b), "}") + extra + "}"
}
