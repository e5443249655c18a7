package authtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/execauth/execauth/token"
)

// verify verifies tok with v and fails the test unless it passes.
func verify(t *testing.T, v *token.Verifier, tok string) *token.Claims {
	t.Helper()
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return c
}

// reject verifies tok with v and fails the test unless it is rejected with
// want and no claims.
func reject(t *testing.T, v *token.Verifier, tok string, want error) {
	t.Helper()
	c, err := v.Verify(context.Background(), tok)
	if !errors.Is(err, want) {
		t.Fatalf("Verify error = %v, want %v", err, want)
	}
	if c != nil {
		t.Fatal("Verify returned claims with an error")
	}
}
