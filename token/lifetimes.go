package token

import (
	"time"

	"github.com/execauth/execauth/scope"
)

// Default lifetimes per token class.
const (
	DefaultWorkloadTTL  = 24 * time.Hour
	DefaultExecutionTTL = 10 * time.Minute
	DefaultProcessorTTL = 24 * time.Hour
)

// Lifetimes holds one duration per token class: how long minted tokens live
// ([IssuerConfig.TTL]) or the longest exp - iat accepted
// ([VerifierConfig.MaxLifetime]). A zero field means the class default.
type Lifetimes struct {
	Workload  time.Duration // If zero, DefaultWorkloadTTL (24h).
	Execution time.Duration // If zero, DefaultExecutionTTL (10m).
	Processor time.Duration // If zero, DefaultProcessorTTL (24h).
}

// For returns the duration for class, defaults applied; 0 for a non-class.
func (l Lifetimes) For(class scope.Scope) time.Duration {
	pick := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	switch class {
	case scope.Workload:
		return pick(l.Workload, DefaultWorkloadTTL)
	case scope.Execution:
		return pick(l.Execution, DefaultExecutionTTL)
	case scope.Processor:
		return pick(l.Processor, DefaultProcessorTTL)
	}
	return 0
}

// Longest returns the longest of the three durations, defaults applied.
func (l Lifetimes) Longest() time.Duration {
	return max(l.For(scope.Workload), l.For(scope.Execution), l.For(scope.Processor))
}

func (l Lifetimes) valid() bool {
	return l.Workload >= 0 && l.Execution >= 0 && l.Processor >= 0
}
