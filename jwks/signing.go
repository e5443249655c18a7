package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"log/slog"
	"math/big"
)

// SigningKey is a private key (or HMAC secret) bound to one algorithm and key
// id. The private key may be any crypto.Signer, so a key held in a KMS or an
// HSM signs without ever leaving it. It never prints its private half: fmt
// and slog show only kid and alg. It is immutable and safe for concurrent use
// (as far as its crypto.Signer is).
type SigningKey struct {
	private any // crypto.Signer or []byte
	public  Key
	text    bool // an HMAC secret given as text ([NewTextSecret])
}

// SigningKeys is what an issuer signs with: the key active now, and whether
// it holds the private half of a key id (only tokens signed by a held key are
// reissued). *SigningKey and *Keyring implement it.
type SigningKeys interface {
	Active() *SigningKey
	Holds(kid string) bool
}

var _ SigningKeys = (*SigningKey)(nil)

// NewSigningKey binds a private key to kid and alg: an *ecdsa.PrivateKey,
// ed25519.PrivateKey or *rsa.PrivateKey, any other crypto.Signer whose
// Public() is an ECDSA, Ed25519 or RSA key (a KMS or HSM key signs through
// the signer), or an HMAC secret as []byte. An empty alg is derived as in
// [NewKey] (HMAC needs one). An empty kid becomes the RFC 7638 thumbprint of
// the public key; for HMAC it becomes an id derived from the secret with
// HMAC-SHA-256, which reveals nothing about the secret.
func NewSigningKey(kid string, alg Algorithm, private any) (*SigningKey, error) {
	return newSigningKey(kid, alg, private, 0)
}

// newSigningKey is NewSigningKey with the HMAC floor of [newKey].
func newSigningKey(kid string, alg Algorithm, private any, minSecret int) (*SigningKey, error) {
	if p, ok := private.(*ed25519.PrivateKey); ok && p != nil {
		private = *p
	}
	switch k := private.(type) {
	case []byte:
		private = append([]byte(nil), k...)
	case ed25519.PrivateKey:
		if err := checkEd25519(k); err != nil {
			return nil, err
		}
		private = append(ed25519.PrivateKey(nil), k...)
	case *ecdsa.PrivateKey:
		// A nil or non-positive scalar makes crypto/ecdsa panic when signing.
		if k != nil && (k.D == nil || k.D.Sign() <= 0) {
			return nil, fmt.Errorf("%w: EC private key without a scalar", ErrUnsupportedKey)
		}
	case *rsa.PrivateKey:
	case crypto.Signer: // a KMS, HSM or agent key: checked through its Public()
	default:
		return nil, fmt.Errorf("%w: %T is not a private key", ErrUnsupportedKey, private)
	}
	verify := publicOf(private)
	if verify == nil {
		return nil, fmt.Errorf("%w: nil %T", ErrUnsupportedKey, private)
	}
	if kid == "" {
		var err error
		if kid, err = defaultKID(verify); err != nil {
			return nil, err
		}
	}
	pub, err := newKey(kid, alg, verify, minSecret)
	if err != nil {
		return nil, err
	}
	return &SigningKey{private: private, public: pub}, nil
}

// checkEd25519 refuses a private key whose second half is not the public key
// of its seed: crypto/ed25519 panics when signing with one, and signatures
// under a wrong public key can leak the private key.
func checkEd25519(k ed25519.PrivateKey) error {
	if len(k) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: Ed25519 private key of %d bytes", ErrUnsupportedKey, len(k))
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(k.Seed()), k) {
		return fmt.Errorf("%w: Ed25519 public half does not match the seed", ErrKeyMismatch)
	}
	return nil
}

func defaultKID(key any) (string, error) {
	if b, ok := key.([]byte); ok {
		mac := hmac.New(sha256.New, b)
		mac.Write([]byte("execauth key id"))
		return b64.EncodeToString(mac.Sum(nil)[:16]), nil
	}
	return Thumbprint(key)
}

// ID returns the key id put in the header of every token this key signs.
func (k *SigningKey) ID() string { return k.public.id }

// Algorithm returns the JWS alg this key signs with.
func (k *SigningKey) Algorithm() Algorithm { return k.public.alg }

// Private returns the crypto.Signer or HMAC secret. Do not modify it.
func (k *SigningKey) Private() any { return k.private }

// Public returns the verification key (for HMAC, the same secret).
func (k *SigningKey) Public() Key { return k.public }

// Sign returns the JWS signature (RFC 7515 §5.1) of signingInput, the
// "header.payload" of a compact token, made with the key's algorithm: r‖s of
// fixed size for ES* (RFC 7518 §3.4), the raw signature otherwise. RSA-PSS
// uses a salt as long as the hash.
func (k *SigningKey) Sign(signingInput string) ([]byte, error) {
	sp := k.public.spec
	msg := []byte(signingInput)
	switch p := k.private.(type) {
	case []byte:
		mac := hmac.New(sp.hash.New, p)
		mac.Write(msg)
		return mac.Sum(nil), nil
	case crypto.Signer:
		var opts crypto.SignerOpts = sp.hash
		in := msg // Ed25519 signs the message itself
		if sp.family != familyEdDSA {
			in = digest(sp.hash, msg)
		}
		if sp.family == familyPSS {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: sp.hash}
		}
		sig, err := p.Sign(rand.Reader, in, opts)
		if err != nil {
			return nil, fmt.Errorf("jwks: sign: %w", err)
		}
		if sp.family == familyEC {
			return fixedECDSA(sig, sp.curve)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k.private)
}

// fixedECDSA turns an ASN.1 ECDSA signature, as crypto.Signer returns it,
// into the fixed-size r‖s of JWS.
func fixedECDSA(der []byte, curve elliptic.Curve) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	n := (curve.Params().BitSize + 7) / 8
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 ||
		rs.R.BitLen() > 8*n || rs.S.BitLen() > 8*n {
		return nil, fmt.Errorf("%w: signer returned a malformed ECDSA signature", ErrUnsupportedKey)
	}
	out := make([]byte, 2*n)
	rs.R.FillBytes(out[:n])
	rs.S.FillBytes(out[n:])
	return out, nil
}

// Active returns k: a single key is always the active one.
func (k *SigningKey) Active() *SigningKey { return k }

// Holds reports whether kid is k's id.
func (k *SigningKey) Holds(kid string) bool { return kid == k.public.id }

// Format prints only kid and alg, whatever the verb. The value receiver makes
// a dereferenced copy redact itself too.
func (k SigningKey) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "SigningKey{kid=%s alg=%s}", k.public.id, k.public.alg)
}

// LogValue logs only kid and alg.
func (k SigningKey) LogValue() slog.Value { return k.public.LogValue() }

// Format prints only kid and alg, whatever the verb: a Key may hold an HMAC
// secret.
func (k Key) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "Key{kid=%s alg=%s}", k.id, k.alg)
}

// LogValue logs only kid and alg.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.id), slog.String("alg", string(k.alg)))
}
