package middleware_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/token"
)

// Reasons lists every code once, the token package's included.
func TestReasons(t *testing.T) {
	t.Parallel()
	got := middleware.Reasons()
	for _, code := range []string{"no_credentials", "invalid_request", "insufficient_scope", "subject_mismatch", "binding_mismatch", "no_claims", "internal"} {
		assert.Contains(t, got, code)
	}
	for _, code := range token.Reasons() {
		assert.Contains(t, got, code)
	}
	assert.Contains(t, token.Reasons(), "expired")
	assert.Contains(t, token.Reasons(), "keys_unavailable")
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	assert.Len(t, slices.Compact(sorted), len(got), "no code twice")
}
