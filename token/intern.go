package token

import "sync/atomic"

// maxInterned bounds the kids a Verifier remembers: a key set rarely holds
// more than a few keys at a time.
const maxInterned = 16

// kidTable remembers the kids of tokens that verified, so that the kid in
// each header becomes a string without a new allocation. Only a kid whose
// token passed the signature check is added, so forged tokens cannot fill
// it; once full it stays as it is and other kids are copied as before.
// Reads are lock-free.
type kidTable struct {
	kids atomic.Pointer[[]string]
}

// get returns b as a string, reusing a remembered kid equal to it. A nil
// table remembers nothing.
func (t *kidTable) get(b []byte) string {
	if t == nil {
		return string(b)
	}
	if p := t.kids.Load(); p != nil {
		for _, k := range *p {
			if k == string(b) {
				return k
			}
		}
	}
	return string(b)
}

// remember adds kid, if new and if there is room.
func (t *kidTable) remember(kid string) {
	for {
		old := t.kids.Load()
		var kids []string
		if old != nil {
			kids = *old
		}
		for _, k := range kids {
			if k == kid {
				return
			}
		}
		if len(kids) >= maxInterned {
			return
		}
		next := append(kids[:len(kids):len(kids)], kid)
		if t.kids.CompareAndSwap(old, &next) {
			return
		}
	}
}
