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
func Generate(alg string) (*SigningKey, error) {
	var private any
	var err error
	switch alg {
	case EdDSA:
		_, private, err = ed25519.GenerateKey(rand.Reader)
	case ES256, ES384, ES512:
		private, err = ecdsa.GenerateKey(curveFor(alg), rand.Reader)
	case RS256, RS384, RS512, PS256, PS384, PS512:
		private, err = rsa.GenerateKey(rand.Reader, GenerateRSABits)
	case HS256, HS384, HS512:
		secret := make([]byte, hashSize(alg))
		_, err = rand.Read(secret)
		private = secret
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("jwks: generate %s: %w", alg, err)
	}
	return NewSigningKey("", alg, private)
}
