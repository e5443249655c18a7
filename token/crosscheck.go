package token

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/execauth/execauth/jwks"
)

// Checks that pieces built apart fit together: each turns a configuration
// that would build fine and then reject or strand every token into an
// [ErrConfig] at construction.

// checkRetire fails when keys is a keyring (it reports RetireAfter) whose
// rotated-out keys would stop verifying before every token they signed has
// expired, at any verifier leeway up to MaxLeeway.
func checkRetire(keys jwks.SigningKeys, ttl Lifetimes, classes *Classes) error {
	r, ok := keys.(interface{ RetireAfter() time.Duration })
	if !ok {
		return nil
	}
	longest := ttl.Longest()
	for _, c := range classes.all() {
		longest = max(longest, ttl.ttl(&c))
	}
	if need := longest + MaxLeeway; r.RetireAfter() < need {
		return fmt.Errorf("%w: keyring RetireAfter %s is shorter than the longest lifetime plus the largest leeway (%s): "+
			"a rotated-out key would stop verifying tokens it signed", ErrConfig, r.RetireAfter(), need)
	}
	return nil
}

// checkAlgorithms fails when keys can list every key it verifies with
// ([jwks.Lister], complete) and none is bound to an allowed algorithm: every
// token would fail. A set that may change (a Cache fetching JWK Sets) is not
// checked.
func checkAlgorithms(keys jwks.Lookup, allowed map[jwks.Algorithm]bool) error {
	l, ok := keys.(jwks.Lister)
	if !ok {
		return nil
	}
	list, complete := l.ListKeys()
	if !complete {
		return nil
	}
	var bound []string
	for _, k := range list {
		if allowed[k.Algorithm()] {
			return nil
		}
		if a := string(k.Algorithm()); !slices.Contains(bound, a) {
			bound = append(bound, a)
		}
	}
	if len(bound) == 0 {
		return fmt.Errorf("%w: the key set holds no key", ErrConfig)
	}
	return fmt.Errorf("%w: no key is bound to an allowed algorithm (keys: %s)", ErrConfig, strings.Join(bound, ", "))
}

// CheckLifetimes reports whether v accepts tokens of every lifetime iss
// mints: for each class, the issuer's TTL must not exceed the verifier's
// MaxLifetime, else v rejects every such token with [ErrLifetime]. The two
// must also describe every class of the issuer alike ([Classes]), else the
// verifier refuses what the issuer mints or the issuer reissues nothing. It
// fails with [ErrConfig].
//
// No constructor sees both: an issuer and the verifiers of its tokens are
// usually built in different processes. Call it where one process builds
// both, as the reference server in cmd/execauth and authtest do; a verifier
// elsewhere sets [VerifierConfig.MaxLifetime] to at least the issuer's TTL.
func CheckLifetimes(iss *Issuer, v *Verifier) error {
	for _, class := range iss.classes.all() {
		other := v.classes.get(class.Name)
		if other == nil || *other != class {
			return fmt.Errorf("%w: the issuer and the verifier describe class %s differently", ErrConfig, class.Name)
		}
		if ttl, limit := iss.ttl.ttl(&class), v.maxLifetime.maxLifetime(other); ttl > limit {
			return fmt.Errorf("%w: the issuer's %s lifetime %s exceeds the verifier's MaxLifetime %s", ErrConfig, class.Name, ttl, limit)
		}
	}
	return nil
}
