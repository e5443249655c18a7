package jwks

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// An Ed25519 public key of small order verifies forgeries: crypto/ed25519
// checks [S]B = R + [k]A without the cofactor, so with A the identity point
// R = identity and S = 0 is a valid signature of every message, and with
// another point of order 2, 4 or 8 it is valid for one message in two, four
// or eight. crypto/ed25519 also accepts encodings that RFC 8032 §5.1.3
// refuses: a y coordinate of p or more, and x = 0 with the sign bit set;
// these name the same points as canonical encodings (small order included),
// so they are refused too. Every Key and SigningKey passes this check
// ([NewKey]), so JWKs, PEM files and crypto.Signers are covered alike.

// smallOrder are the canonical encodings of the eight points of
// edwards25519 whose order divides 8: the identity (order 1), (0, -1)
// (order 2), (±sqrt(-1), 0) (order 4) and four points of order 8. The list
// is the one published in "Taming the many EdDSAs" (Chalkias, Garillot,
// Nikolaenko, SSR 2020, section 4 and its test vectors) and used by
// libsodium; the test derives each entry's small order from a forgery.
var smallOrder = func() (out [8][32]byte) {
	for i, s := range [...]string{
		"0100000000000000000000000000000000000000000000000000000000000000", // identity
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1)
		"0000000000000000000000000000000000000000000000000000000000000000", // y = 0
		"0000000000000000000000000000000000000000000000000000000000000080", // y = 0, x negated
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	} {
		if _, err := hex.Decode(out[i][:], []byte(s)); err != nil {
			panic(err)
		}
	}
	return out
}()

// checkEd25519Public refuses a non-canonical encoding (RFC 8032 §5.1.3) and
// a point of small order. pub is 32 bytes.
func checkEd25519Public(pub []byte) error {
	if !canonicalEd25519([32]byte(pub)) {
		return fmt.Errorf("%w: non-canonical Ed25519 point", ErrUnsupportedKey)
	}
	for _, p := range smallOrder {
		if bytes.Equal(pub, p[:]) {
			return fmt.Errorf("%w: Ed25519 point of small order", ErrWeakKey)
		}
	}
	return nil
}

// canonicalEd25519 reports whether enc, y in little-endian order with the
// sign of x in its top bit, has y < p = 2^255 - 19 and, where x = 0 (y = 1
// or y = p - 1), the sign bit clear.
func canonicalEd25519(enc [32]byte) bool {
	negative := enc[31]&0x80 != 0
	y := enc
	y[31] &= 0x7f
	pMinus1 := smallOrder[1]   // (0, -1): y = p - 1
	for i := 31; i >= 0; i-- { // compare y with p - 1, most significant byte first
		if y[i] != pMinus1[i] {
			if y[i] > pMinus1[i] {
				return false // y >= p
			}
			break
		}
	}
	return !negative || (y != pMinus1 && y != smallOrder[0])
}
