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
// cannot fill it; once full it stays as it is and other headers are decoded
// as before. Reads are lock-free.
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

// remember adds a verified token's header, if new and if there is room.
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
			return
		}
		// Copy the segment: it is part of a request header the table must
		// not keep alive.
		next := append(entries[:len(entries):len(entries)], rememberedHeader{strings.Clone(encoded), h})
		if t.entries.CompareAndSwap(old, &next) {
			return
		}
	}
}
