package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"sync"
)

// ErrSignature: a signature that does not verify under the key.
var ErrSignature = errors.New("jwks: invalid signature")

// Verify checks a JWS signature (RFC 7515 §5.2) over signingInput, the
// "header.payload" of a compact token, with the key's one algorithm. The
// algorithm comes from the key, never from the token, so no token can choose
// how its signature is checked. sig is the decoded signature: r‖s of fixed
// size for ES* (RFC 7518 §3.4), the raw signature otherwise. RSA-PSS accepts
// only a salt as long as the hash. Safe for concurrent use.
func (k Key) Verify(signingInput string, sig []byte) error {
	if k.mac != nil {
		if !k.mac.verify(signingInput, sig) {
			return ErrSignature
		}
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.put()
	sc.msg = append(sc.msg[:0], signingInput...)
	msg, d := sc.msg, sc.digest[:0]
	var ok bool
	switch pub := k.material.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		n := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) == 2*n {
			h := k.spec.hash
			ok = ecdsa.VerifyASN1(pub, digest(d, h, msg), appendDER(sc.der[:0], sig[:n], sig[n:]))
		}
	case *rsa.PublicKey:
		h := k.spec.hash
		if k.spec.family == familyPSS {
			ok = rsa.VerifyPSS(pub, h, digest(d, h, msg), sig, &strictPSS) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(pub, h, digest(d, h, msg), sig) == nil
		}
	}
	if !ok {
		return ErrSignature // also the zero Key, which has no material
	}
	return nil
}

// strictPSS verifies RSA-PSS with the salt length equal to the hash size,
// which RFC 7518 §3.5 requires (crypto/rsa would otherwise accept any).
var strictPSS = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// digest appends the hash of msg to dst without allocating.
func digest(dst []byte, h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return append(dst, s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return append(dst, s[:]...)
	default:
		s := sha512.Sum512(msg)
		return append(dst, s[:]...)
	}
}

// appendDER appends the ASN.1 DER SEQUENCE of INTEGERs r and s (big-endian,
// unsigned) that crypto/ecdsa verifies. For P-521 the content is at most
// 2×(2+1+66) = 138 bytes, so the length fits in one byte after 0x81.
func appendDER(dst, r, s []byte) []byte {
	n := derIntLen(r) + derIntLen(s)
	dst = append(dst, 0x30)
	if n >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(n))
	return appendDERInt(appendDERInt(dst, r), s)
}

func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func derIntLen(b []byte) int {
	b = trimZeros(b)
	n := len(b)
	if b[0]&0x80 != 0 {
		n++ // a leading zero keeps the INTEGER positive
	}
	return 2 + n
}

func appendDERInt(dst, b []byte) []byte {
	b = trimZeros(b)
	n := len(b)
	pad := b[0]&0x80 != 0
	if pad {
		n++
	}
	dst = append(dst, 0x02, byte(n))
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// scratch holds what one asymmetric check needs on the heap anyway (the
// crypto packages keep their arguments): the signing input as []byte, its
// digest and the DER form of an ECDSA signature. Pooled, they cost nothing.
type scratch struct {
	msg    []byte
	digest [sha512.Size]byte
	der    [3 + 2*(3+66)]byte // SEQUENCE of two INTEGERs of up to 66 bytes (P-521)
}

var scratchPool = sync.Pool{New: func() any { return &scratch{msg: make([]byte, 0, 1024)} }}

// maxPooled keeps a buffer grown by an unusually long input out of the pools.
const maxPooled = 16 << 10

func (sc *scratch) put() {
	if cap(sc.msg) <= maxPooled {
		scratchPool.Put(sc)
	}
}

// macPool reuses keyed HMAC states for one secret: keying one (hmac.New) costs
// two hash blocks and six allocations, resetting a used one neither.
type macPool struct {
	size int
	pool sync.Pool
}

type macState struct {
	mac hash.Hash
	in  []byte
	sum [sha512.Size]byte
}

func newMACPool(h crypto.Hash, secret []byte) *macPool {
	p := &macPool{size: h.Size()}
	p.pool.New = func() any { return &macState{mac: hmac.New(h.New, secret)} }
	return p
}

func (p *macPool) verify(signingInput string, sig []byte) bool {
	if len(sig) != p.size {
		return false
	}
	st := p.pool.Get().(*macState)
	st.mac.Reset()
	st.in = append(st.in[:0], signingInput...)
	st.mac.Write(st.in)
	ok := hmac.Equal(st.mac.Sum(st.sum[:0]), sig)
	if cap(st.in) <= maxPooled {
		p.pool.Put(st)
	}
	return ok
}
