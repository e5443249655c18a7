package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

var b64 = base64.RawURLEncoding

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key (or of the
// public half of a private key), base64url-encoded without padding. For an
// HMAC secret ([]byte) it is the thumbprint of the "oct" JWK, which is a hash
// of the secret: do not publish it as a kid.
func Thumbprint(key any) (string, error) {
	var canon string
	switch k := publicOf(key).(type) {
	case *ecdsa.PublicKey:
		crv, x, y, err := ecParams(k)
		if err != nil {
			return "", err
		}
		canon = `{"crv":"` + crv + `","kty":"EC","x":"` + x + `","y":"` + y + `"}`
	case ed25519.PublicKey:
		canon = `{"crv":"Ed25519","kty":"OKP","x":"` + b64.EncodeToString(k) + `"}`
	case *rsa.PublicKey:
		canon = `{"e":"` + rsaE(k.E) + `","kty":"RSA","n":"` + b64.EncodeToString(k.N.Bytes()) + `"}`
	case []byte:
		canon = `{"k":"` + b64.EncodeToString(k) + `","kty":"oct"}`
	default:
		return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64.EncodeToString(sum[:]), nil
}

// ecParams returns the JWK crv name and the full-length base64url coordinates
// (RFC 7518 §6.2.1.2: the length of the field size, leading zeros kept).
func ecParams(k *ecdsa.PublicKey) (crv, x, y string, err error) {
	raw, err := k.Bytes() // 0x04 || X || Y, each coordinate full length
	if err != nil {
		return "", "", "", fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	n := (len(raw) - 1) / 2
	return k.Curve.Params().Name, b64.EncodeToString(raw[1 : 1+n]), b64.EncodeToString(raw[1+n:]), nil
}

// rsaE encodes an RSA exponent big-endian without leading zeros (RFC 7518 §6.3.1.2).
func rsaE(e int) string {
	return b64.EncodeToString(big.NewInt(int64(e)).Bytes())
}
