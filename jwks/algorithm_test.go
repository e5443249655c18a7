package jwks_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/jwks"
)

// Every constructor that takes a kid and an algorithm takes the algorithm
// as jwks.Algorithm, so that the two cannot trade places: a call like
// NewSigningKey(jwks.ES256, "", key) does not compile.
func TestKidAndAlgorithmCannotTradePlaces(t *testing.T) {
	t.Parallel()
	str, alg := reflect.TypeOf(""), reflect.TypeOf(jwks.Algorithm(""))
	assert.NotEqual(t, str, alg)
	for name, fn := range map[string]any{
		"NewKey": jwks.NewKey, "NewSigningKey": jwks.NewSigningKey, "ParsePrivate": jwks.ParsePrivate,
		"ParsePublic": jwks.ParsePublic, "ReadSigningKey": jwks.ReadSigningKey,
	} {
		ft := reflect.TypeOf(fn)
		var kids, algs int
		for i := 0; i < ft.NumIn(); i++ {
			switch ft.In(i) {
			case str:
				kids++
			case alg:
				algs++
			}
		}
		assert.Equal(t, 1, algs, "%s takes one Algorithm", name)
		assert.LessOrEqual(t, kids, 2, name)
	}
}

// The one algorithm table drives the lists callers see.
func TestAlgorithmTable(t *testing.T) {
	t.Parallel()
	all := jwks.Algorithms()
	assert.Len(t, all, 13)
	for _, a := range all {
		assert.True(t, a.Supported(), a)
	}
	for _, a := range jwks.DefaultAlgorithms() {
		assert.False(t, a.Symmetric(), "no HMAC by default: %s", a)
		assert.NotContains(t, []jwks.Algorithm{jwks.PS256, jwks.PS384, jwks.PS512}, a, "no PSS by default")
	}
	assert.ElementsMatch(t, []jwks.Algorithm{jwks.HS256, jwks.HS384, jwks.HS512}, filter(all, jwks.Algorithm.Symmetric))
	for _, a := range []jwks.Algorithm{"none", "", "es256", "HS1"} {
		assert.False(t, a.Supported(), a)
	}
	all[0] = "none"
	assert.NotEqual(t, jwks.Algorithm("none"), jwks.Algorithms()[0], "callers get a copy")
}

func filter(in []jwks.Algorithm, keep func(jwks.Algorithm) bool) []jwks.Algorithm {
	var out []jwks.Algorithm
	for _, a := range in {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}
