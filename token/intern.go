package token

import (
	"strings"
	"sync/atomic"
)

// maxRemembered bounds the headers a Verifier remembers: an issuer signs
// with one key at a time, two during a rotation.
const maxRemembered = 16

// headerTable remembers the encoded headers of tokens that verified, with
// what they say: tokens from one issuer share a header, so the next one
// skips decoding and parsing it, and its kid is not copied again. Only a
// header whose token passed the signature check is added, so forged tokens
// cannot fill it; once full, a new header replaces the oldest (keys rotate,
// so old headers stop coming). Reads are lock-free.
type headerTable struct {
	entries atomic.Pointer[[]rememberedHeader]
}

type rememberedHeader struct {
	encoded string // the base64url header segment
	h       header
}

// get returns the header an encoded segment was remembered with.
func (t *headerTable) get(encoded string) (header, bool) {
	if p := t.entries.Load(); p != nil {
		for _, e := range *p {
			if e.encoded == encoded {
				return e.h, true
			}
		}
	}
	return header{}, false
}

// remember adds a verified token's header, if new, dropping the oldest if
// the table is full.
func (t *headerTable) remember(encoded string, h header) {
	for {
		old := t.entries.Load()
		var entries []rememberedHeader
		if old != nil {
			entries = *old
		}
		for _, e := range entries {
			if e.encoded == encoded {
				return
			}
		}
		if len(entries) >= maxRemembered {
			entries = entries[len(entries)-maxRemembered+1:]
		}
		// Copy the segment: it is part of a request header the table must
		// not keep alive.
		next := make([]rememberedHeader, 0, len(entries)+1)
		next = append(append(next, entries...), rememberedHeader{strings.Clone(encoded), h})
		if t.entries.CompareAndSwap(old, &next) {
			return
		}
	}
}
