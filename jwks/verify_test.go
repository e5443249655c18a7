package jwks_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/fips140"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/jwks"
)

var allAlgs = []jwks.Algorithm{
	jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.ES512, jwks.RS256, jwks.RS384, jwks.RS512,
	jwks.PS256, jwks.PS384, jwks.PS512, jwks.HS256, jwks.HS384, jwks.HS512,
}

const input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0"

// sign makes a signature with golang-jwt, the implementation Key.Verify must
// agree with.
func sign(t testing.TB, sk *jwks.SigningKey, in string) []byte {
	t.Helper()
	sig, err := jwt.GetSigningMethod(string(sk.Algorithm())).Sign(in, sk.Private())
	require.NoError(t, err)
	return sig
}

// jwtAccepts is golang-jwt's verdict. Its PS* methods accept any salt length;
// Key.Verify is stricter there, which TestVerifyPSSSaltLength covers.
func jwtAccepts(k jwks.Key, in string, sig []byte) bool {
	return jwt.GetSigningMethod(string(k.Algorithm())).Verify(in, sig, k.Material()) == nil
}

func TestVerifyAgreesWithGolangJWT(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			sk, err := jwks.Generate(alg)
			require.NoError(t, err)
			k := sk.Public()
			sig := sign(t, sk, input)
			require.NoError(t, k.Verify(input, sig))

			flipped := func(i int) []byte {
				b := append([]byte(nil), sig...)
				b[i] ^= 1
				return b
			}
			hostile := map[string]struct {
				in  string
				sig []byte
			}{
				"first bit":     {input, flipped(0)},
				"middle bit":    {input, flipped(len(sig) / 2)},
				"last bit":      {input, flipped(len(sig) - 1)},
				"truncated":     {input, sig[:len(sig)-1]},
				"extended":      {input, append(append([]byte(nil), sig...), 0)},
				"empty":         {input, nil},
				"other input":   {input + "x", sig},
				"shorter input": {input[:len(input)-1], sig},
				"zeros":         {input, make([]byte, len(sig))},
				"doubled":       {input, append(append([]byte(nil), sig...), sig...)},
				"dot removed":   {strings.Replace(input, ".", "", 1), sig},
			}
			for name, h := range hostile {
				err := k.Verify(h.in, h.sig)
				assert.ErrorIs(t, err, jwks.ErrSignature, name)
				assert.False(t, jwtAccepts(k, h.in, h.sig), "golang-jwt accepts %s", name)
			}
		})
	}
}

// TestVerifyOtherAlgorithmsSignature: a key verifies only its own algorithm,
// even where the key material would fit another (RS256 key, RS512 signature).
func TestVerifyOtherAlgorithmsSignature(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	secret := make([]byte, 64)
	_, err = rand.Read(secret)
	require.NoError(t, err)
	for _, tc := range []struct {
		verifyAs, signAs jwks.Algorithm
		key              any
	}{
		{jwks.RS256, jwks.RS512, rsaKey},
		{jwks.RS256, jwks.PS256, rsaKey},
		{jwks.PS256, jwks.RS256, rsaKey},
		{jwks.PS256, jwks.PS384, rsaKey},
		{jwks.HS256, jwks.HS512, secret},
		{jwks.HS512, jwks.HS384, secret},
	} {
		signer, err := jwks.NewSigningKey("k", tc.signAs, tc.key)
		require.NoError(t, err)
		verifier, err := jwks.NewSigningKey("k", tc.verifyAs, tc.key)
		require.NoError(t, err)
		sig := sign(t, signer, input)
		require.NoError(t, signer.Public().Verify(input, sig))
		assert.ErrorIs(t, verifier.Public().Verify(input, sig), jwks.ErrSignature,
			"%s key took a %s signature", tc.verifyAs, tc.signAs)
	}
}

func TestVerifyZeroKey(t *testing.T) {
	sk, err := jwks.Generate(jwks.ES256)
	require.NoError(t, err)
	assert.ErrorIs(t, jwks.Key{}.Verify(input, sign(t, sk, input)), jwks.ErrSignature)
}

// TestVerifyECDSAEncoding checks the r‖s → DER conversion where it has edge
// cases: r or s with leading zero bytes (shorter INTEGERs), with the top bit
// set (a padding zero), zero values, and P-521's long-form length.
func TestVerifyECDSAEncoding(t *testing.T) {
	for _, alg := range []jwks.Algorithm{jwks.ES256, jwks.ES384, jwks.ES512} {
		t.Run(string(alg), func(t *testing.T) {
			sk, err := jwks.Generate(alg)
			require.NoError(t, err)
			k := sk.Public()
			n := len(sign(t, sk, input)) / 2
			// A P-521 value fills 521 of its 528 bits: its top bit is never set.
			var leadingZero, highBit bool = false, alg == jwks.ES512
			for i := 0; i < 3000 && !(leadingZero && highBit); i++ {
				in := input + strings.Repeat("A", i%7)
				sig := sign(t, sk, in)
				require.NoError(t, k.Verify(in, sig), "signature %x", sig)
				leadingZero = leadingZero || sig[0] == 0 || sig[n] == 0
				highBit = highBit || sig[0]&0x80 != 0 || sig[n]&0x80 != 0
			}
			require.True(t, leadingZero && highBit, "edge cases not reached")

			sig := sign(t, sk, input)
			zeroR := append(make([]byte, n), sig[n:]...)
			zeroS := append(append([]byte(nil), sig[:n]...), make([]byte, n)...)
			assert.ErrorIs(t, k.Verify(input, zeroR), jwks.ErrSignature)
			assert.ErrorIs(t, k.Verify(input, zeroS), jwks.ErrSignature)

			// r and s one order larger than valid: the same residues, refused.
			order := sk.Private().(*ecdsa.PrivateKey).Curve.Params().N
			r := new(big.Int).SetBytes(sig[:n])
			r.Add(r, order)
			if r.BitLen() <= 8*n {
				wide := append(r.FillBytes(make([]byte, n)), sig[n:]...)
				assert.ErrorIs(t, k.Verify(input, wide), jwks.ErrSignature)
				assert.False(t, jwtAccepts(k, input, wide))
			}
		})
	}
}

// TestVerifyPSSSaltLength: RFC 7518 §3.5 fixes the salt length to the hash
// size; a signature with any other salt is refused (golang-jwt would accept).
func TestVerifyPSSSaltLength(t *testing.T) {
	sk, err := jwks.Generate(jwks.PS384)
	require.NoError(t, err)
	d := crypto.SHA384.New()
	d.Write([]byte(input))
	salts := []int{32, 64}
	if !fips140.Enabled() { // in FIPS 140 mode the automatic salt is as long as the hash
		salts = append(salts, rsa.PSSSaltLengthAuto)
	}
	for _, salt := range salts {
		sig, err := rsa.SignPSS(rand.Reader, sk.Private().(*rsa.PrivateKey), crypto.SHA384, d.Sum(nil),
			&rsa.PSSOptions{SaltLength: salt})
		require.NoError(t, err)
		assert.ErrorIs(t, sk.Public().Verify(input, sig), jwks.ErrSignature, "salt %d", salt)
	}
	sig, err := rsa.SignPSS(rand.Reader, sk.Private().(*rsa.PrivateKey), crypto.SHA384, d.Sum(nil),
		&rsa.PSSOptions{SaltLength: 48})
	require.NoError(t, err)
	assert.NoError(t, sk.Public().Verify(input, sig))
}

// TestVerifyLongInput: a 64 KiB input is checked like any other, and the
// pooled HMAC states keep working afterwards.
func TestVerifyLongInput(t *testing.T) {
	for _, alg := range []jwks.Algorithm{jwks.HS256, jwks.EdDSA} {
		sk, err := jwks.Generate(alg)
		require.NoError(t, err)
		long := input + strings.Repeat("A", 64<<10)
		assert.NoError(t, sk.Public().Verify(long, sign(t, sk, long)), alg)
		assert.ErrorIs(t, sk.Public().Verify(long, sign(t, sk, input)), jwks.ErrSignature, alg)
		assert.NoError(t, sk.Public().Verify(input, sign(t, sk, input)), alg)
	}
}

// TestVerifyConcurrent shares keys and their pooled HMAC states between
// goroutines checking good and bad signatures (run with -race).
func TestVerifyConcurrent(t *testing.T) {
	var keys []*jwks.SigningKey
	for _, alg := range []jwks.Algorithm{jwks.HS256, jwks.HS512, jwks.ES256, jwks.EdDSA} {
		sk, err := jwks.Generate(alg)
		require.NoError(t, err)
		keys = append(keys, sk)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*50*2)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				sk := keys[(g+i)%len(keys)]
				in := input + strings.Repeat("x", i)
				sig := sign(t, sk, in)
				if sk.Public().Verify(in, sig) != nil {
					errs <- string(sk.Algorithm()) + " refused a good signature"
				}
				sig[len(sig)-1] ^= 1
				if sk.Public().Verify(in, sig) == nil {
					errs <- string(sk.Algorithm()) + " accepted a bad signature"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkKeyVerify(b *testing.B) {
	for _, alg := range []jwks.Algorithm{jwks.HS256, jwks.ES256, jwks.EdDSA, jwks.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			sk, err := jwks.Generate(alg)
			require.NoError(b, err)
			in := input + strings.Repeat("A", 250)
			sig, k := sign(b, sk, in), sk.Public()
			b.ReportAllocs()
			for b.Loop() {
				if k.Verify(in, sig) != nil {
					b.Fatal("refused")
				}
			}
		})
	}
}
