// Package ctxkey holds the context key of verified claims, shared by token,
// which reads them (token.FromContext), and middleware, which stores them
// together with its own settings in a single context value.
package ctxkey

// Claims is the key of the *token.Claims in a context.
type Claims struct{}
