package jwks

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
)

// MinRSABits is the smallest RSA modulus accepted for signing or verifying.
const MinRSABits = 2048

// MaxKIDLen is the longest kid accepted, in bytes.
const MaxKIDLen = 256

// Key is a verification key bound to exactly one algorithm. The zero Key
// matches no algorithm. Build one with [NewKey]; its fields cannot be changed
// afterwards, so a Key that exists has passed every check. Copies share
// internal state (reusable HMAC states), so compare keys by ID, Algorithm and
// Material rather than as whole values.
type Key struct {
	id       string
	alg      Algorithm
	spec     *spec    // alg's row of the algorithm table; nil in the zero Key
	material any      // *ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey or []byte
	mac      *macPool // keyed HMAC states for a []byte secret, shared by copies
}

// NewKey binds a public key (or, for HS*, a shared secret as []byte) to alg and
// kid. An empty alg is derived from the key: RSA→RS256, P-256→ES256,
// P-384→ES384, P-521→ES512, Ed25519→EdDSA; an HMAC secret needs an explicit
// alg. It refuses weak keys (Ed25519 points of small order among them, and
// non-canonical Ed25519 encodings) and keys that do not fit the algorithm.
// An empty kid is allowed for a key used on its own. Given a private key, it
// keeps only the public half.
func NewKey(kid string, alg Algorithm, key any) (Key, error) {
	return newKey(kid, alg, key, 0)
}

// newKey is NewKey with the shortest HMAC secret accepted: minSecret bytes,
// or the hash size when minSecret is 0 (see [TextSecretOptions]).
func newKey(kid string, alg Algorithm, key any, minSecret int) (Key, error) {
	if kid != "" && !ValidKID(kid) {
		return Key{}, ErrInvalidKID
	}
	if alg == "" {
		var err error
		if alg, err = DeriveAlgorithm(key); err != nil {
			return Key{}, err
		}
	}
	sp, err := checkKey(alg, key, minSecret)
	if err != nil {
		return Key{}, err
	}
	// Keep only the public half, so that a Key never carries private
	// material, and copy slices: the caller's may change later.
	switch k := publicOf(key).(type) {
	case []byte:
		secret := append([]byte(nil), k...)
		return Key{id: kid, alg: alg, spec: sp, material: secret, mac: newMACPool(sp.hash, secret)}, nil
	case ed25519.PublicKey:
		key = append(ed25519.PublicKey(nil), k...)
	default:
		key = k
	}
	return Key{id: kid, alg: alg, spec: sp, material: key}, nil
}

// ID returns the key id ("" if the key has none).
func (k Key) ID() string { return k.id }

// Algorithm returns the one JWS alg this key verifies.
func (k Key) Algorithm() Algorithm { return k.alg }

// Material returns the key for signature checks: *ecdsa.PublicKey,
// ed25519.PublicKey, *rsa.PublicKey, or the HMAC secret as []byte (do not
// modify it).
func (k Key) Material() any { return k.material }

// IsSymmetric reports whether the key is an HMAC secret.
func (k Key) IsSymmetric() bool {
	_, ok := k.material.([]byte)
	return ok
}

// Lookup finds the key that verifies a token. kid is "" when the token has
// none. Implementations return errors matching [ErrUnknownKey],
// [ErrKidRequired], [ErrAlgorithmMismatch] or [ErrKeysUnavailable], and are
// safe for concurrent use.
type Lookup interface {
	LookupKey(ctx context.Context, kid string, alg Algorithm) (Key, error)
}

// LookupFunc adapts a function to [Lookup].
type LookupFunc func(ctx context.Context, kid string, alg Algorithm) (Key, error)

// LookupKey calls f.
func (f LookupFunc) LookupKey(ctx context.Context, kid string, alg Algorithm) (Key, error) {
	return f(ctx, kid, alg)
}

// ValidKID reports whether kid is 1 to [MaxKIDLen] printable ASCII bytes.
func ValidKID(kid string) bool {
	if kid == "" || len(kid) > MaxKIDLen {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if kid[i] < 0x20 || kid[i] > 0x7e {
			return false
		}
	}
	return true
}

// DeriveAlgorithm returns the algorithm a public or private key implies. HMAC
// secrets imply none and fail with [ErrUnsupportedKey].
func DeriveAlgorithm(key any) (Algorithm, error) {
	switch k := publicOf(key).(type) {
	case *rsa.PublicKey:
		return RS256, nil
	case ed25519.PublicKey:
		return EdDSA, nil
	case *ecdsa.PublicKey:
		if k == nil {
			break
		}
		for _, s := range specs {
			if s.family == familyEC && s.curve == k.Curve {
				return s.alg, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
}

// publicOf returns the public half of a private key, or key itself. Nil
// pointers and malformed Ed25519 keys give nil (their Public methods panic).
func publicOf(key any) any {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k == nil {
			return nil
		}
		return &k.PublicKey
	case *rsa.PrivateKey:
		if k == nil {
			return nil
		}
		return &k.PublicKey
	case *ed25519.PublicKey:
		if k == nil {
			return nil
		}
		return *k
	case *ed25519.PrivateKey:
		if k == nil {
			return nil
		}
		return publicOf(*k)
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil
		}
		return k.Public()
	case crypto.Signer:
		return k.Public()
	}
	return key
}

// checkKey verifies that key (public, private or secret) fits alg and is
// strong enough, and returns alg's row of the algorithm table. An HMAC
// secret must be as long as the hash, or minSecret bytes when that is not 0.
func checkKey(alg Algorithm, key any, minSecret int) (*spec, error) {
	sp := lookupSpec(alg)
	if sp == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	if sp.family == familyHMAC {
		b, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs a []byte secret", ErrKeyMismatch, alg)
		}
		if n := cmp.Or(minSecret, sp.hash.Size()); len(b) < n {
			return nil, fmt.Errorf("%w: %s secret of %d bytes, need %d", ErrWeakKey, alg, len(b), n)
		}
		return sp, nil
	}
	pub := publicOf(key)
	switch sp.family {
	case familyEdDSA:
		if k, ok := pub.(ed25519.PublicKey); ok && len(k) == ed25519.PublicKeySize {
			if err := checkEd25519Public(k); err != nil {
				return nil, err
			}
			return sp, nil
		}
	case familyEC:
		if k, ok := pub.(*ecdsa.PublicKey); ok && k != nil && k.Curve == sp.curve {
			if k.X == nil || k.Y == nil {
				return nil, fmt.Errorf("%w: EC key without a point", ErrUnsupportedKey)
			}
			if _, err := k.Bytes(); err != nil { // rejects points off the curve
				return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
			}
			return sp, nil
		}
	case familyRSA, familyPSS:
		if k, ok := pub.(*rsa.PublicKey); ok && k != nil {
			if k.N == nil || k.N.BitLen() < MinRSABits {
				return nil, fmt.Errorf("%w: RSA key under %d bits", ErrWeakKey, MinRSABits)
			}
			if k.E < 3 || k.E%2 == 0 { // crypto/rsa refuses these when verifying
				return nil, fmt.Errorf("%w: RSA exponent %d", ErrUnsupportedKey, k.E)
			}
			return sp, nil
		}
	}
	return nil, fmt.Errorf("%w: %T for %s", ErrKeyMismatch, key, alg)
}

// selectKey applies the kid rules shared by every key set: with a kid, the key
// of that id; without one, the single key bound to alg. The chosen key must be
// bound to alg.
func selectKey(keys []Key, kid string, alg Algorithm) (Key, error) {
	if kid == "" {
		var found Key
		n := 0
		for _, k := range keys {
			if k.alg == alg {
				found = k
				n++
			}
		}
		switch n {
		case 0:
			return Key{}, ErrUnknownKey
		case 1:
			return found, nil
		}
		return Key{}, ErrKidRequired
	}
	for _, k := range keys {
		if k.id == kid {
			return bound(k, alg)
		}
	}
	return Key{}, ErrUnknownKey
}

// bound returns k if it is bound to alg. The zero Key, which a map lookup
// gives for a missing kid, is unknown.
func bound(k Key, alg Algorithm) (Key, error) {
	switch k.alg {
	case "":
		return Key{}, ErrUnknownKey
	case alg:
		return k, nil
	}
	return Key{}, ErrAlgorithmMismatch
}
