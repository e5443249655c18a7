package jwks

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
)

// smallOrder are the canonical encodings of the eight points of
// edwards25519 whose order divides 8: the identity, (0, -1), (±sqrt(-1), 0)
// and four points of order 8, as published in "Taming the many EdDSAs"
// (Chalkias, Garillot, Nikolaenko, SSR 2020) and used by libsodium. Such a
// public key verifies forgeries: crypto/ed25519 checks [S]B = R + [k]A
// without the cofactor, so under the identity R = identity, S = 0 signs
// every message, and under the others one message in two, four or eight.
var smallOrder = func() (out [8][32]byte) {
	for i, s := range [...]string{
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p - 1
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
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

// checkEd25519Public refuses a point of small order, and an encoding that
// RFC 8032 §5.1.3 refuses but crypto/ed25519 reads: y of p = 2^255 - 19 or
// more (step 1), or x = 0 (y = 1 or p - 1) with the sign bit set (step 4).
// Either names a point that has a canonical encoding, small order included.
// pub is 32 bytes: y in little-endian order, the sign of x in the top bit.
func checkEd25519Public(pub []byte) error {
	y, pMinus1 := [32]byte(pub), smallOrder[1]
	y[31] &= 0x7f
	x0 := y == pMinus1 || y == smallOrder[0]
	slices.Reverse(y[:]) // big-endian, to compare with p - 1
	slices.Reverse(pMinus1[:])
	if bytes.Compare(y[:], pMinus1[:]) > 0 || (x0 && pub[31]&0x80 != 0) {
		return fmt.Errorf("%w: non-canonical Ed25519 point", ErrUnsupportedKey)
	}
	if slices.Contains(smallOrder[:], [32]byte(pub)) {
		return fmt.Errorf("%w: Ed25519 point of small order", ErrWeakKey)
	}
	return nil
}
