package benchmarks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/token"
)

// The policy every contender enforces.
const (
	issuer   = "https://scheduler.example"
	audience = "execution-api"
	leeway   = 10 * time.Second
	// lifetime is the longest exp - iat accepted and the TTL of the shared
	// token: an hour, so that a token minted when a run starts outlives the
	// run (auth0's validator reads time.Now and cannot take a frozen clock).
	lifetime = time.Hour
)

// algorithms are the benchmarked algorithms, in table order.
var algorithms = []string{string(jwks.HS256), string(jwks.RS256), string(jwks.ES256), string(jwks.EdDSA)}

// fixture is one algorithm's key and token, shared by every contender.
type fixture struct {
	alg    string
	signer *jwks.SigningKey
	token  string // an execution token minted by token.Issuer
	set    []byte // a JWK Set holding the verification key
}

// key returns the verification key: the public key, or the HMAC secret.
func (f *fixture) key() any { return f.signer.Public().Material() }

// fixtures builds one fixture per algorithm, once per process, so that every
// benchmark and test sees the same keys and tokens.
var fixtures = sync.OnceValues(func() (map[string]*fixture, error) {
	m := make(map[string]*fixture, len(algorithms))
	for _, alg := range algorithms {
		f, err := newFixture(alg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", alg, err)
		}
		m[alg] = f
	}
	return m, nil
})

func newFixture(alg string) (*fixture, error) {
	sk, err := jwks.Generate(jwks.Algorithm(alg))
	if err != nil {
		return nil, err
	}
	iss, err := token.NewIssuer(token.IssuerConfig{
		Keys: sk, Issuer: issuer, Audience: []string{audience},
		TTL: token.Lifetimes{Execution: lifetime},
	})
	if err != nil {
		return nil, err
	}
	raw, err := iss.Execution(uuid.New())
	if err != nil {
		return nil, err
	}
	set, err := jwkSet(sk)
	if err != nil {
		return nil, err
	}
	return &fixture{alg: alg, signer: sk, token: string(raw), set: set}, nil
}

// jwkSet is the JWKS an issuer would serve for sk. execauth never publishes
// an HMAC secret, so the oct JWK that keyfunc needs for HS256 is built here.
func jwkSet(sk *jwks.SigningKey) ([]byte, error) {
	secret, ok := sk.Private().([]byte)
	if !ok {
		return jwks.MarshalSet(sk.Public())
	}
	oct := map[string]string{
		"kty": "oct", "use": "sig", "alg": string(sk.Algorithm()), "kid": sk.ID(),
		"k": base64.RawURLEncoding.EncodeToString(secret),
	}
	return json.Marshal(map[string]any{"keys": []any{oct}})
}
