package token

import (
	"strings"
	"sync"
	"sync/atomic"
)

// maxHeaders bounds the headers a Verifier remembers: an issuer signs with
// one key at a time, two during a rotation. Past it the memo starts over.
const maxHeaders = 64

// headerMemo remembers the encoded headers of tokens whose signature
// verified, with what they say: tokens of one issuer share a header, so the
// next one skips decoding and parsing it (over 5 % of an HS256
// verification: benchmark rows Verify/HS256/execauth and
// Middleware/HS256/execauth). Only headers of verified tokens are added, so
// forged tokens cannot fill it.
type headerMemo struct {
	m sync.Map     // encoded header (string) → header
	n atomic.Int32 // headers added since the memo was last emptied
}

func (t *headerMemo) get(encoded string) (header, bool) {
	h, ok := t.m.Load(encoded)
	if !ok {
		return header{}, false
	}
	return h.(header), true
}

// remember adds the header of a verified token. The segment is copied: it
// is part of a request the memo must not keep alive.
func (t *headerMemo) remember(encoded string, h header) {
	if t.n.Add(1) > maxHeaders {
		t.m.Clear()
		t.n.Store(1)
	}
	t.m.Store(strings.Clone(encoded), h)
}
