package benchmarks

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// contender checks tokens one way. prepare does the per-token work that is
// not timed (splitting the token for the floor, building the HTTP request)
// and returns the check that is: nil means the token was accepted.
type contender struct {
	name    string
	request bool // a full request through middleware
	prepare func(raw string) func() error
}

// contenders returns every contender for f, the floor first.
func contenders(f *fixture) ([]contender, error) {
	builders := []func(*fixture) (contender, error){
		floor, floorReuse, golangJWT, keyfuncJWKS, auth0, jwxParse, execauth, execauthCached,
		auth0Middleware, jwxMiddleware, execauthMiddleware, execauthMiddlewareCached,
	}
	out := make([]contender, 0, len(builders))
	for _, build := range builders {
		c, err := build(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.alg, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// checkExecution applies the rules that no peer library has an option for,
// so that every contender enforces what execauth's middleware does by
// default: scope "execution", a task id (canonical UUID) as sub, and
// 0 < exp - iat <= lifetime, which needs both exp and iat.
func checkExecution(scope, sub string, iat, exp time.Time) error {
	if scope != "execution" {
		return errClass
	}
	if len(sub) != 36 {
		return errSubject
	}
	if _, err := uuid.Parse(sub); err != nil {
		return errSubject
	}
	if iat.IsZero() || exp.IsZero() {
		return errLifetime
	}
	if life := exp.Sub(iat); life <= 0 || life > lifetime {
		return errLifetime
	}
	return nil
}
