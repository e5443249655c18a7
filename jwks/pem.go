package jwks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/execauth/execauth/internal/atomicfile"
)

// PEM block types. Private keys are written as PKCS #8 and public keys as
// PKIX; SEC 1 and PKCS #1 private keys are read too, since OpenSSL writes them.
const (
	pemPrivate   = "PRIVATE KEY"     // PKCS #8, RFC 5208
	pemPublic    = "PUBLIC KEY"      // PKIX SubjectPublicKeyInfo, RFC 5280
	pemEC        = "EC PRIVATE KEY"  // SEC 1, RFC 5915
	pemRSA       = "RSA PRIVATE KEY" // PKCS #1, RFC 8017
	pemEncrypted = "ENCRYPTED PRIVATE KEY"
)

// MarshalPrivate encodes k for a key file: a PKCS #8 PEM block ("PRIVATE
// KEY"), or for an HMAC secret one line of base64url text without padding —
// except a secret made from text ([NewTextSecret]), whose line is that text,
// to be read back with [ReadTextSecret]. The kid and alg are not stored; name
// them again when parsing. A key held by another crypto.Signer (a KMS or HSM
// key) never leaves it: that fails with [ErrNotExportable].
func MarshalPrivate(k *SigningKey) ([]byte, error) {
	if k == nil || k.private == nil {
		return nil, fmt.Errorf("%w: no key", ErrUnsupportedKey)
	}
	switch p := k.private.(type) {
	case []byte:
		out := make([]byte, 0, b64.EncodedLen(len(p))+1) // room for the text too: never grown
		if k.text {
			return append(append(out, p...), '\n'), nil
		}
		return append(b64.AppendEncode(out, p), '\n'), nil
	case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
	default:
		return nil, fmt.Errorf("%w: key %s is held by a %T", ErrNotExportable, k.ID(), p)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	defer clear(der)
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
}

// MarshalPublic encodes an asymmetric key as a PKIX PEM block ("PUBLIC
// KEY"). An HMAC secret is never public: it fails with [ErrUnsupportedKey].
func MarshalPublic(k Key) ([]byte, error) {
	if k.IsSymmetric() {
		return nil, fmt.Errorf("%w: an HMAC secret is never published", ErrUnsupportedKey)
	}
	if k.material == nil {
		return nil, fmt.Errorf("%w: zero Key", ErrUnsupportedKey)
	}
	der, err := x509.MarshalPKIXPublicKey(k.material)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// ParsePrivate decodes a key file written by [MarshalPrivate] and binds it
// to kid and alg as [NewSigningKey] does (empty kid: the default id; empty
// alg: derived from the key). Besides PKCS #8 it reads SEC 1 ("EC PRIVATE
// KEY") and PKCS #1 ("RSA PRIVATE KEY") blocks. Text that is not PEM is an
// HMAC secret in base64url; its alg defaults to HS512. Exactly one PEM block
// is accepted, with nothing but whitespace around it; encrypted keys, other
// block types and weak keys are refused.
func ParsePrivate(data []byte, kid string, alg Algorithm) (*SigningKey, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, err
	}
	return parsePrivate(block, data, kid, alg)
}

// ParsePublic decodes a PKIX PEM block ("PUBLIC KEY") and binds it to kid
// and alg as [NewKey] does; an empty kid becomes the RFC 7638 thumbprint,
// the default id of the matching [SigningKey]. Given a private key file it
// returns the public half, and given an HMAC secret file the secret (which
// is what verifies HS* tokens), with the rules of [ParsePrivate].
func ParsePublic(data []byte, kid string, alg Algorithm) (Key, error) {
	block, err := onePEM(data)
	if err != nil {
		return Key{}, err
	}
	if block == nil || block.Type != pemPublic {
		k, err := parsePrivate(block, data, kid, alg)
		if err != nil {
			return Key{}, err
		}
		return k.Public(), nil
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if kid == "" {
		if kid, err = Thumbprint(pub); err != nil {
			return Key{}, err
		}
	}
	return NewKey(kid, alg, pub)
}

// WriteSigningKey writes k to path as [MarshalPrivate] encodes it, with mode 0600,
// through a temporary file, fsync and rename: a reader sees the old key or
// the new one, never part of one.
func WriteSigningKey(path string, k *SigningKey) error {
	data, err := MarshalPrivate(k)
	if err != nil {
		return err
	}
	defer clear(data)
	return atomicfile.Write(path, data)
}

// ReadSigningKey reads a key file and parses it with [ParsePrivate].
func ReadSigningKey(path, kid string, alg Algorithm) (*SigningKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer clear(data)
	return ParsePrivate(data, kid, alg)
}

// onePEM returns the only PEM block of data, or nil if data is not PEM.
func onePEM(data []byte) (*pem.Block, error) {
	text := bytes.TrimSpace(data)
	if !bytes.HasPrefix(text, []byte("-----BEGIN ")) {
		return nil, nil
	}
	block, rest := pem.Decode(text)
	switch {
	case block == nil:
		return nil, fmt.Errorf("%w: PEM", ErrMalformed)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("%w: data after the PEM block", ErrMalformed)
	case len(block.Headers) > 0: // RFC 1421 encryption: Proc-Type, DEK-Info
		return nil, fmt.Errorf("%w: PEM headers (encrypted key?)", ErrUnsupportedKey)
	}
	return block, nil
}

// parsePrivate builds a signing key from a private key block, or from data
// as a secret when block is nil.
func parsePrivate(block *pem.Block, data []byte, kid string, alg Algorithm) (*SigningKey, error) {
	if block == nil {
		secret, err := decodeSecret(data)
		if err != nil {
			return nil, err
		}
		defer clear(secret) // NewSigningKey keeps a copy
		if alg == "" {
			alg = HS512 // what Generate(HS512) and keygen write
		}
		return NewSigningKey(kid, alg, secret)
	}
	var private any
	var err error
	switch block.Type {
	case pemPrivate:
		private, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case pemEC:
		private, err = x509.ParseECPrivateKey(block.Bytes)
	case pemRSA:
		private, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case pemEncrypted:
		return nil, fmt.Errorf("%w: encrypted private key", ErrUnsupportedKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q", ErrUnsupportedKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return NewSigningKey(kid, alg, private)
}

// decodeSecret decodes a secret file: base64url without padding, surrounding
// whitespace ignored. It checks the alphabet itself because the decoder
// skips CR and LF anywhere.
func decodeSecret(data []byte) ([]byte, error) {
	text := bytes.TrimSpace(data)
	if len(bytes.Trim(text, base64URL)) > 0 {
		return nil, fmt.Errorf("%w: neither PEM nor base64url text", ErrMalformed)
	}
	secret := make([]byte, b64.DecodedLen(len(text)))
	n, err := b64.Strict().Decode(secret, text)
	if err != nil {
		clear(secret)
		return nil, fmt.Errorf("%w: secret is not base64url", ErrMalformed)
	}
	return secret[:n], nil
}

// base64URL is the alphabet of base64url (RFC 4648 §5).
const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
