//go:build !race && !goexperiment.boringcrypto

// The race detector drops sync.Pool entries on purpose, so allocation counts
// are checked without it (.ci/run runs them separately). BoringCrypto's
// hashes allocate on their own, so the counts hold for the Go crypto only.

package jwks_test

import (
	"crypto"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

// TestVerifyAllocs: an HMAC check reuses its keyed states and an Ed25519
// check reads the signing input in place, so neither allocates; the
// ECDSA and RSA checks hash it without the two allocations of crypto.Hash.New.
func TestVerifyAllocs(t *testing.T) {
	for _, tc := range []struct {
		alg jwks.Algorithm
		max float64
	}{
		{jwks.HS256, 0},
		{jwks.HS512, 0},
		{jwks.EdDSA, 0},
		{jwks.RS256, 10},
		{jwks.ES256, 22},
	} {
		sk, err := jwks.Generate(tc.alg)
		require.NoError(t, err)
		in := input + strings.Repeat("A", 300)
		sig, k := sign(t, sk, in), sk.Public()
		require.NoError(t, k.Verify(in, sig))
		allocs := testing.AllocsPerRun(50, func() {
			if err := k.Verify(in, sig); err != nil {
				t.Fatal(err)
			}
		})
		assert.LessOrEqual(t, allocs, tc.max, tc.alg)
	}
}

// TestDigest: the hashes computed on the stack, and any other through
// crypto.Hash.New, equal the standard library's.
func TestDigest(t *testing.T) {
	msg := []byte(input)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA224} {
		d := h.New()
		d.Write(msg)
		assert.Equal(t, d.Sum(nil), jwks.Digest(h, msg), h)
	}
}
