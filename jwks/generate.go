package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// GenerateRSABits is the modulus size of RSA keys made by [Generate].
const GenerateRSABits = 2048

// Generate returns a new signing key for alg, with the default kid of
// [NewSigningKey]. EdDSA gives an Ed25519 key; ES256, ES384 and ES512 a key
// on P-256, P-384 and P-521; RS* and PS* a 2048-bit RSA key (the smallest
// accepted, and the common choice); HS256, HS384 and HS512 a random secret
// as long as the hash (32, 48 or 64 bytes). Randomness comes from
// crypto/rand. Any other alg, "none" included, fails with
// [ErrUnsupportedAlgorithm].
func Generate(alg Algorithm) (*SigningKey, error) {
	sp := lookupSpec(alg)
	if sp == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	var private any
	var err error
	switch sp.family {
	case familyEdDSA:
		_, private, err = ed25519.GenerateKey(rand.Reader)
	case familyEC:
		private, err = ecdsa.GenerateKey(sp.curve, rand.Reader)
	case familyRSA, familyPSS:
		private, err = rsa.GenerateKey(rand.Reader, GenerateRSABits)
	case familyHMAC:
		secret := make([]byte, sp.hash.Size())
		_, err = rand.Read(secret)
		private = secret
	}
	if err != nil {
		return nil, fmt.Errorf("jwks: generate %s: %w", alg, err)
	}
	return NewSigningKey("", alg, private)
}
