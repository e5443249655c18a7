package middleware_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/token"
)

func TestErrorReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{middleware.ErrNoCredentials, "no_credentials"},
		{middleware.ErrInvalidRequest, "invalid_request"},
		{middleware.ErrInsufficientScope, "insufficient_scope"},
		{middleware.ErrSubjectMismatch, "subject_mismatch"},
		{middleware.ErrBindingMismatch, "binding_mismatch"},
		{middleware.ErrNoClaims, "no_claims"},
		{middleware.ErrInternal, "internal"},
		{fmt.Errorf("%w: kid secret-kid", token.ErrUnknownKey), "unknown_key"},
		{fmt.Errorf("%w: %w", token.ErrKeysUnavailable, errors.New("dial tcp")), "keys_unavailable"},
		{token.ErrExpired, "expired"},
		{errors.New("nobody classified this"), "internal"},
	}
	for _, tc := range tests {
		e := &middleware.Error{Status: 401, Err: tc.err}
		assert.Equal(t, tc.want, e.Reason(), tc.err.Error())
		assert.NotContains(t, e.Error(), "secret-kid", "the message keeps the fixed text only")
	}
}
