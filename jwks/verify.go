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
	"math/big"
	"sync"
	"unsafe"
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
	// Safe: every check below only reads msg (hash.Hash's Write may neither
	// modify nor keep it; ed25519.Verify hashes it). Reading the string in
	// place spares each asymmetric check a copy of the signing input.
	msg := unsafe.Slice(unsafe.StringData(signingInput), len(signingInput))
	if k.mac != nil {
		if !k.mac.verify(msg, sig) {
			return ErrSignature
		}
		return nil
	}
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

// digest returns the hash of msg. The hashes of the JWS algorithms keep
// their state on the stack: one allocation (the sum) instead of the two of
// h.New (benchmark row FloorPaired/RS256/execauth: 1.08 -> 1.06x).
func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(msg)
		return s[:]
	}
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// macPool reuses keyed HMAC states for one secret: keying one (hmac.New) costs
// two hash blocks and six allocations, resetting a used one neither. That is
// about half of an HS256 verification (benchmark rows Verify/HS256/floor and
// floor-reuse); the asymmetric checks, where keeping state would save under
// 1 %, keep none.
type macPool struct {
	size int
	pool sync.Pool
}

type macState struct {
	mac hash.Hash
	sum [sha512.Size]byte
}

func newMACPool(h crypto.Hash, secret []byte) *macPool {
	p := &macPool{size: h.Size()}
	p.pool.New = func() any { return &macState{mac: hmac.New(h.New, secret)} }
	return p
}

func (p *macPool) verify(signingInput, sig []byte) bool {
	if len(sig) != p.size {
		return false
	}
	st := p.pool.Get().(*macState)
	st.mac.Reset()
	st.mac.Write(signingInput)
	ok := hmac.Equal(st.mac.Sum(st.sum[:0]), sig)
	p.pool.Put(st)
	return ok
}
