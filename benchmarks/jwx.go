package benchmarks

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// jwxOptions configures jwx like the execauth verifier: the key pinned to
// one algorithm, iss, aud, the same skew, exp and iat required, and the
// execution rules. Validation of exp, nbf and iat is on by default.
func jwxOptions(f *fixture) ([]jwt.ParseOption, error) {
	alg, ok := jwa.LookupSignatureAlgorithm(f.alg)
	if !ok {
		return nil, fmt.Errorf("jwx: no algorithm %s", f.alg)
	}
	return []jwt.ParseOption{
		jwt.WithKey(alg, f.key()),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithAcceptableSkew(leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithValidator(jwt.ValidatorFunc(jwxRules)),
	}, nil
}

func jwxRules(_ context.Context, t jwt.Token) error {
	var scope string
	if err := t.Get("scope", &scope); err != nil {
		return errClass
	}
	sub, _ := t.Subject()
	iat, _ := t.IssuedAt()
	exp, _ := t.Expiration()
	return checkExecution(scope, sub, iat, exp)
}

// jwxParse is jwt.Parse with the options above.
func jwxParse(f *fixture) (contender, error) {
	opts, err := jwxOptions(f)
	if err != nil {
		return contender{}, err
	}
	prepare := func(raw string) func() error {
		b := []byte(raw)
		return func() error {
			_, err := jwt.Parse(b, opts...)
			return err
		}
	}
	return contender{name: "jwx", prepare: prepare}, nil
}

// jwxMiddleware is a full request through jwxAuthenticate.
func jwxMiddleware(f *fixture) (contender, error) {
	opts, err := jwxOptions(f)
	if err != nil {
		return contender{}, err
	}
	h := jwxAuthenticate(opts)(admitted)
	return contender{name: "jwx", request: true, prepare: viaHTTP(h, false)}, nil
}

type jwxTokenKey struct{}

// jwxAuthenticate is the smallest middleware a jwx user would write (jwx has
// none): the bearer token from the Authorization header, parsed and
// validated, into the request context; 401 otherwise.
func jwxAuthenticate(opts []jwt.ParseOption) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, err := jwt.ParseRequest(r, opts...)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				http.Error(w, `{"detail":"Unauthorized"}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), jwxTokenKey{}, tok)))
		})
	}
}
