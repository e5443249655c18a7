package token

import (
	"context"

	"github.com/execauth/execauth/internal/ctxkey"
)

// NewContext returns a copy of ctx carrying the verified claims c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxkey.Claims{}, c)
}

// FromContext returns the claims stored by [NewContext], if any.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxkey.Claims{}).(*Claims)
	return c, ok && c != nil
}
