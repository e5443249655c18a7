package token

import (
	"time"

	"github.com/execauth/execauth/scope"
)

// Lifetimes overrides the lifetimes of the built-in classes: how long minted
// tokens live ([IssuerConfig.TTL]) or the longest exp - iat accepted
// ([VerifierConfig.MaxLifetime]). A zero field means the class description's
// value (TTL or MaxLifetime; both are the defaults below for the built-ins).
// A class a host registers carries its lifetimes in its own [Class].
type Lifetimes struct {
	Workload  time.Duration // If zero, DefaultWorkloadTTL (24h).
	Execution time.Duration // If zero, DefaultExecutionTTL (10m).
	Processor time.Duration // If zero, DefaultProcessorTTL (24h).
}

// For returns the duration for a built-in class, defaults applied; 0 for any
// other name.
func (l Lifetimes) For(class scope.Scope) time.Duration {
	if c := builtinClasses.get(class); c != nil {
		return l.or(class, c.TTL)
	}
	return 0
}

// Longest returns the longest of the three durations, defaults applied.
func (l Lifetimes) Longest() time.Duration {
	var longest time.Duration
	for _, c := range builtin {
		longest = max(longest, l.For(c.Name))
	}
	return longest
}

// or returns the field set for class if positive, else d.
func (l Lifetimes) or(class scope.Scope, d time.Duration) time.Duration {
	var set time.Duration
	switch class {
	case scope.Workload:
		set = l.Workload
	case scope.Execution:
		set = l.Execution
	case scope.Processor:
		set = l.Processor
	}
	if set > 0 {
		return set
	}
	return d
}

// ttl returns the lifetime of minted tokens of c.
func (l Lifetimes) ttl(c *Class) time.Duration { return l.or(c.Name, c.TTL) }

// maxLifetime returns the longest accepted exp - iat of c.
func (l Lifetimes) maxLifetime(c *Class) time.Duration { return l.or(c.Name, c.MaxLifetime) }

func (l Lifetimes) valid() bool {
	return l.Workload >= 0 && l.Execution >= 0 && l.Processor >= 0
}
