package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"hash"
	"math/big"
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
	msg := []byte(signingInput)
	var ok bool
	switch pub := k.material.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		n := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) == 2*n {
			r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
			ok = ecdsa.Verify(pub, digest(k.spec.hash, msg), r, s)
		}
	case *rsa.PublicKey:
		h := k.spec.hash
		if k.spec.family == familyPSS {
			ok = rsa.VerifyPSS(pub, h, digest(h, msg), sig, &strictPSS) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(pub, h, digest(h, msg), sig) == nil
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

// digest returns the hash of msg.
func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// maxPooled keeps a buffer grown by an unusually long input out of the pool.
const maxPooled = 16 << 10

// macPool reuses keyed HMAC states for one secret: keying one (hmac.New) costs
// two hash blocks and six allocations, resetting a used one neither. That is
// about half of an HS256 verification (benchmark rows Verify/HS256/floor and
// floor-reuse); the asymmetric checks, where such savings are under 1 %,
// allocate freely.
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
