package jwks

import (
	"cmp"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxAge is the Cache-Control max-age of [Handler] when none is given.
const DefaultMaxAge = 5 * time.Minute

// PublicKeys is a key set that can be served as a JWKS. [Keyring] and
// [Static] implement it.
type PublicKeys interface {
	// PublicKeys returns the keys to publish; never HMAC secrets.
	PublicKeys() []Key
	// Generation changes whenever the keys do.
	Generation() uint64
}

var _ PublicKeys = (*Static)(nil)

// Handler serves the public keys of keys as a JWK Set: GET and HEAD only
// (405 with Allow otherwise), Content-Type application/jwk-set+json,
// Cache-Control "public, max-age=N" with N the whole seconds of maxAge (if
// zero, DefaultMaxAge), and a strong ETag, so that a matching If-None-Match
// (a list of tags, or "*") gets 304 without a body. The set is encoded once
// per key generation, not per request. Keyring, Static and Cache never list
// HMAC secrets in PublicKeys (a key set of only secrets is served as
// {"keys":[]}); an implementation that does makes the handler answer 500
// rather than serve a partial set. It panics if keys is nil or maxAge
// negative.
func Handler(keys PublicKeys, maxAge time.Duration) http.Handler {
	if keys == nil {
		panic("jwks: Handler with nil keys")
	}
	if maxAge < 0 {
		panic("jwks: Handler with negative maxAge")
	}
	maxAge = cmp.Or(maxAge, DefaultMaxAge)
	return &handler{keys: keys, cacheControl: "public, max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)}
}

type handler struct {
	keys         PublicKeys
	cacheControl string

	mu  sync.Mutex // serializes encoding; readers only Load doc
	doc atomic.Pointer[document]
}

// document is a key set encoded for one generation.
type document struct {
	gen  uint64
	body []byte
	etag string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	d, err := h.document()
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "key set unavailable", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", h.cacheControl)
	hdr.Set("ETag", d.etag)
	if matchETag(r.Header.Values("If-None-Match"), d.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", "application/jwk-set+json")
	hdr.Set("Content-Length", strconv.Itoa(len(d.body)))
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(d.body)
	}
}

// document returns the encoded set of the current generation, encoding it
// if the generation changed. The generation is read before the keys: if
// they change in between, the next request sees a newer generation and
// encodes again.
func (h *handler) document() (*document, error) {
	gen := h.keys.Generation()
	if d := h.doc.Load(); d != nil && d.gen == gen {
		return d, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := h.doc.Load(); d != nil && d.gen == gen {
		return d, nil
	}
	body, err := MarshalSet(h.keys.PublicKeys()...)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	d := &document{gen: gen, body: body, etag: `"` + b64.EncodeToString(sum[:]) + `"`}
	h.doc.Store(d)
	return d, nil
}

// matchETag reports whether If-None-Match field values match etag: "*", or
// a list of entity tags compared weakly (RFC 9110 §13.1.2: W/ is ignored).
// Scanning stops at the first malformed element.
func matchETag(fields []string, etag string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) == "*" {
			return true
		}
		for s := f; ; {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			s = strings.TrimPrefix(s, "W/")
			if s == "" || s[0] != '"' {
				break
			}
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				break
			}
			if s[:end+2] == etag {
				return true
			}
			s = s[end+2:]
		}
	}
	return false
}
