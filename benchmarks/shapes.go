package benchmarks

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// Token shapes beyond the one execution token of the Verify group: what a
// token costs as it grows (extra claims, audiences), what a hostile header
// costs before any signature check, many signing keys at once, and a
// verified-token cache whose live set far exceeds its size. Each shape is a
// list of tokens that the timed loop cycles through, and each row has
// golang-jwt beside execauth.

// Sizes of the shapes.
const (
	extraClaims    = 20   // host claims in the large token of the Extra group
	manyAudiences  = 10   // aud values, ours last, in the Audience group
	hostileMembers = 450  // unknown members in the hostile header
	manyKids       = 64   // signing keys in the Kids group, tokens cycle over them
	thrashLive     = 4096 // live tokens in the Thrash group, 4× the cache
)

// shape is a list of tokens for one row, cycled through by the timed loop.
type shape struct {
	name   string
	tokens []string
	accept bool // every contender accepts every token (else rejects every one)
}

// mint signs an execution token for f's key (and kid) with golang-jwt, so
// that the shapes do not depend on execauth's minting API. edit changes the
// claims before signing.
func mint(f *fixture, signer *jwks.SigningKey, edit func(jwt.MapClaims)) (string, error) {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": issuer, "sub": uuid.NewString(), "aud": audience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix(),
		"jti": strings.ReplaceAll(uuid.NewString(), "-", ""), "scope": "execution",
	}
	if edit != nil {
		edit(c)
	}
	if signer == nil {
		signer = f.signer
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(f.alg), c)
	t.Header["kid"] = signer.ID()
	return t.SignedString(signer.Private())
}

// withExtra adds n host claims, short strings as a host would add (a bundle
// name, a file path).
func withExtra(n int) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) {
		for i := range n {
			c[fmt.Sprintf("claim_%02d", i)] = fmt.Sprintf("value-%02d-of-host", i)
		}
	}
}

// withAudiences makes aud an array of n values, ours last.
func withAudiences(n int) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) {
		aud := make([]string, n)
		for i := range n - 1 {
			aud[i] = fmt.Sprintf("other-api-%02d", i)
		}
		aud[n-1] = audience
		c["aud"] = aud
	}
}

// hostileHeader is f's token with a header of members unknown members
// (after alg, kid and typ) and an all-zero signature: what an
// unauthenticated caller can send to make the verifier work before any
// signature check.
func hostileHeader(f *fixture, members int) (string, error) {
	var h strings.Builder
	fmt.Fprintf(&h, `{"alg":%q,"kid":%q,"typ":"JWT"`, f.alg, f.signer.ID())
	for i := range members {
		fmt.Fprintf(&h, `,"h%03d":0`, i)
	}
	h.WriteString("}")
	parts := strings.Split(f.token, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", err
	}
	clear(sig)
	b64 := base64.RawURLEncoding
	return b64.EncodeToString([]byte(h.String())) + "." + parts[1] + "." + b64.EncodeToString(sig), nil
}

// verifier is one contender's check of a single token.
type verifier struct {
	name  string
	check func(raw string) error
}

// execauthCheck is Verify plus the class check, as in the Verify group.
func execauthCheck(v *token.Verifier) func(string) error {
	ctx := context.Background()
	return func(raw string) error {
		c, err := v.Verify(ctx, raw)
		if err != nil {
			return err
		}
		if c.Class() != "execution" {
			return errClass
		}
		return nil
	}
}

// golangJWTCheck is ParseWithClaims as in the Verify group.
func golangJWTCheck(alg string, kf jwt.Keyfunc) func(string) error {
	p := jwtParser(alg)
	return func(raw string) error {
		_, err := p.ParseWithClaims(raw, new(jwtClaims), kf)
		return err
	}
}

// staticVerifiers are golang-jwt with a static key, execauth, and execauth
// with a verified-token cache of cacheSize, all for f's key.
func staticVerifiers(f *fixture) ([]verifier, error) {
	plain, err := execauthVerifier(f, 0)
	if err != nil {
		return nil, err
	}
	cached, err := execauthVerifier(f, cacheSize)
	if err != nil {
		return nil, err
	}
	key := f.key()
	return []verifier{
		{"golang-jwt", golangJWTCheck(f.alg, func(*jwt.Token) (any, error) { return key, nil })},
		{"execauth", execauthCheck(plain)},
		{"execauth+cache", execauthCheck(cached)},
	}, nil
}

// keyring is manyKids HS256 keys, as a static execauth key set and as the
// JWK Set that keyfunc reads.
type keyring struct {
	signers []*jwks.SigningKey
	static  *jwks.Static
	set     []byte
}

func newKeyring(n int) (*keyring, error) {
	k := &keyring{}
	var public []jwks.Key
	var jwkList []string
	for range n {
		sk, err := jwks.Generate(jwks.HS256)
		if err != nil {
			return nil, err
		}
		k.signers = append(k.signers, sk)
		public = append(public, sk.Public())
		oct, err := jwkSet(sk)
		if err != nil {
			return nil, err
		}
		// jwkSet returns {"keys":[{...}]}: keep the one key.
		s := string(oct)
		jwkList = append(jwkList, s[len(`{"keys":[`):len(s)-len(`]}`)])
	}
	st, err := jwks.NewStatic(public...)
	if err != nil {
		return nil, err
	}
	k.static = st
	k.set = []byte(`{"keys":[` + strings.Join(jwkList, ",") + `]}`)
	return k, nil
}

// kidsVerifiers are golang-jwt with keyfunc over the keyring's JWK Set and
// execauth over the same keys, without and with a cache.
func kidsVerifiers(f *fixture, k *keyring) ([]verifier, error) {
	kf, err := keyfuncFromSet(k.set)
	if err != nil {
		return nil, err
	}
	var out []verifier
	out = append(out, verifier{"golang-jwt+keyfunc", golangJWTCheck(f.alg, kf)})
	for _, size := range []int{0, cacheSize} {
		v, err := token.NewVerifier(token.VerifierConfig{
			Keys: k.static, Issuer: issuer, Audience: []string{audience},
			Algorithms: []jwks.Algorithm{jwks.HS256}, Leeway: leeway,
			MaxLifetime: token.Lifetimes{Execution: lifetime}, CacheSize: size,
		})
		if err != nil {
			return nil, err
		}
		name := "execauth"
		if size > 0 {
			name += "+cache"
		}
		out = append(out, verifier{name, execauthCheck(v)})
	}
	return out, nil
}

// keyfuncFromSet is keyfunc's key func over a JWK Set loaded from memory.
func keyfuncFromSet(set []byte) (jwt.Keyfunc, error) {
	k, err := keyfunc.NewJWKSetJSON(set)
	if err != nil {
		return nil, err
	}
	return k.Keyfunc, nil
}

// group is one benchmark of token shapes: its verifiers and shapes, built
// for the shared fixture of alg.
type group struct {
	name  string // the benchmark: Benchmark<name>
	alg   string
	build func(f *fixture) ([]verifier, []shape, error)
}

// groups are the token-shape benchmarks, in table order.
var groups = []group{
	{"Extra", "HS256", extraGroup},
	{"Audience", "HS256", audienceGroup},
	{"Hostile", "EdDSA", hostileGroup},
	{"Kids", "HS256", kidsGroup},
	{"Thrash", "HS256", thrashGroup},
}

// extraGroup: a token with no host claims and one with extraClaims.
func extraGroup(f *fixture) ([]verifier, []shape, error) {
	var shapes []shape
	for _, n := range []int{0, extraClaims} {
		raw, err := mint(f, nil, withExtra(n))
		if err != nil {
			return nil, nil, err
		}
		shapes = append(shapes, shape{name: fmt.Sprintf("extra=%d", n), tokens: []string{raw}, accept: true})
	}
	vs, err := staticVerifiers(f)
	return vs, shapes, err
}

// audienceGroup: aud as one string and as an array of manyAudiences.
func audienceGroup(f *fixture) ([]verifier, []shape, error) {
	one, err := mint(f, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	many, err := mint(f, nil, withAudiences(manyAudiences))
	if err != nil {
		return nil, nil, err
	}
	vs, err := staticVerifiers(f)
	if err != nil {
		return nil, nil, err
	}
	return vs[:2], []shape{
		{name: "aud=1", tokens: []string{one}, accept: true},
		{name: fmt.Sprintf("aud=%d", manyAudiences), tokens: []string{many}, accept: true},
	}, nil
}

// hostileGroup: a header of hostileMembers unknown members with a bad
// signature; compare with Verify/EdDSA/execauth.
func hostileGroup(f *fixture) ([]verifier, []shape, error) {
	raw, err := hostileHeader(f, hostileMembers)
	if err != nil {
		return nil, nil, err
	}
	vs, err := staticVerifiers(f)
	if err != nil {
		return nil, nil, err
	}
	return vs[:2], []shape{{name: fmt.Sprintf("header=%d", hostileMembers), tokens: []string{raw}}}, nil
}

// kidsGroup: manyKids HS256 keys in one key set, tokens cycling over them
// (several issuers, or a rotation with many keys published).
func kidsGroup(f *fixture) ([]verifier, []shape, error) {
	k, err := newKeyring(manyKids)
	if err != nil {
		return nil, nil, err
	}
	tokens := make([]string, 0, manyKids)
	for _, sk := range k.signers {
		raw, err := mint(f, sk, nil)
		if err != nil {
			return nil, nil, err
		}
		tokens = append(tokens, raw)
	}
	vs, err := kidsVerifiers(f, k)
	return vs, []shape{{name: fmt.Sprintf("kids=%d", manyKids), tokens: tokens, accept: true}}, err
}

// thrashGroup: thrashLive live tokens cycling through a cache of
// cacheSize, so that almost every lookup misses, beside no cache.
func thrashGroup(f *fixture) ([]verifier, []shape, error) {
	tokens := make([]string, 0, thrashLive)
	for range thrashLive {
		raw, err := mint(f, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		tokens = append(tokens, raw)
	}
	vs, err := staticVerifiers(f)
	return vs, []shape{{name: fmt.Sprintf("live=%d", thrashLive), tokens: tokens, accept: true}}, err
}
