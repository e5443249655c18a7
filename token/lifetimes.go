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
	if d := l.override(class); d > 0 {
		return d
	}
	if c := builtinClasses.get(class); c != nil {
		return c.TTL
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

// override returns the field set for class, or 0.
func (l Lifetimes) override(class scope.Scope) time.Duration {
	fields := [...]struct {
		class scope.Scope
		d     time.Duration
	}{{scope.Workload, l.Workload}, {scope.Execution, l.Execution}, {scope.Processor, l.Processor}}
	for _, f := range fields {
		if f.class == class {
			return f.d
		}
	}
	return 0
}

// ttl returns the lifetime of minted tokens of c.
func (l Lifetimes) ttl(c *Class) time.Duration {
	if d := l.override(c.Name); d > 0 {
		return d
	}
	return c.TTL
}

// maxLifetime returns the longest accepted exp - iat of c.
func (l Lifetimes) maxLifetime(c *Class) time.Duration {
	if d := l.override(c.Name); d > 0 {
		return d
	}
	return c.MaxLifetime
}

func (l Lifetimes) valid() bool {
	return l.Workload >= 0 && l.Execution >= 0 && l.Processor >= 0
}
