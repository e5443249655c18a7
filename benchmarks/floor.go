package benchmarks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
)

// floor is the least any verifier must do: the standard library's signature
// check over the signing input. Splitting the token and decoding the
// signature happen in prepare, untimed; nothing is parsed as JSON and no
// claim is looked at, so the floor accepts any correctly signed token.
func floor(f *fixture) (contender, error) {
	prepare := func(raw string) func() error {
		input, sig, err := signingParts(raw)
		if err != nil {
			return func() error { return err }
		}
		return verifySignature(f.key(), input, sig)
	}
	return contender{name: "floor", prepare: prepare}, nil
}

// signingParts splits a token into its signing input and decoded signature:
// the floors' untimed preparation.
func signingParts(raw string) (input, sig []byte, err error) {
	dot := strings.LastIndexByte(raw, '.')
	if dot < 0 {
		return nil, nil, errSignature
	}
	sig, err = base64.RawURLEncoding.DecodeString(raw[dot+1:])
	return []byte(raw[:dot]), sig, err
}

// floorReuse is the floor for a verifier that keeps state between tokens,
// as execauth does: one keyed HMAC state reset per check instead of
// hmac.New, and an ECDSA r‖s passed to ecdsa.VerifyASN1 as DER built in a
// reused buffer instead of through big.Int. RSA and Ed25519 are as in the
// floor, which reuses nothing there.
func floorReuse(f *fixture) (contender, error) {
	prepare := func(raw string) func() error {
		input, sig, err := signingParts(raw)
		if err != nil {
			return func() error { return err }
		}
		switch k := f.key().(type) {
		case []byte:
			m := hmac.New(sha256.New, k)
			sum := make([]byte, 0, sha256.Size)
			return func() error {
				m.Reset()
				m.Write(input)
				if !hmac.Equal(m.Sum(sum[:0]), sig) {
					return errSignature
				}
				return nil
			}
		case *ecdsa.PublicKey:
			der := make([]byte, 0, 72)
			return func() error {
				if len(sig) != 64 {
					return errSignature
				}
				h := sha256.Sum256(input)
				if !ecdsa.VerifyASN1(k, h[:], appendDER(der[:0], sig[:32], sig[32:])) {
					return errSignature
				}
				return nil
			}
		}
		return verifySignature(f.key(), input, sig)
	}
	return contender{name: "floor-reuse", prepare: prepare}, nil
}

// appendDER appends the DER SEQUENCE of the unsigned big-endian INTEGERs r
// and s (short-form lengths suffice for P-256).
func appendDER(dst, r, s []byte) []byte {
	integer := func(dst, b []byte) []byte {
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
		if b[0]&0x80 != 0 {
			return append(append(dst, 0x02, byte(len(b)+1), 0), b...)
		}
		return append(append(dst, 0x02, byte(len(b))), b...)
	}
	dst = append(dst, 0x30, 0)
	dst = integer(integer(dst, r), s)
	dst[1] = byte(len(dst) - 2)
	return dst
}

// verifySignature returns the timed part of the floor for one key type;
// every algorithm benchmarked hashes with SHA-256.
func verifySignature(key any, input, sig []byte) func() error {
	switch k := key.(type) {
	case []byte:
		return func() error {
			m := hmac.New(sha256.New, k)
			m.Write(input)
			if !hmac.Equal(m.Sum(nil), sig) {
				return errSignature
			}
			return nil
		}
	case *rsa.PublicKey:
		return func() error {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig)
		}
	case *ecdsa.PublicKey:
		return func() error {
			// JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4).
			if len(sig) != 64 {
				return errSignature
			}
			h := sha256.Sum256(input)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if !ecdsa.Verify(k, h[:], r, s) {
				return errSignature
			}
			return nil
		}
	case ed25519.PublicKey:
		return func() error {
			if !ed25519.Verify(k, input, sig) {
				return errSignature
			}
			return nil
		}
	}
	return func() error { return fmt.Errorf("%w: key type %T", errSignature, key) }
}
