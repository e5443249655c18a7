package middleware

import (
	"encoding/json"
	"net/http"

	"github.com/execauth/execauth/token"
)

// RequireBinding returns middleware, to run inside [Authenticate], for a
// route whose path names a resource that narrowed tokens may be bound to, as
// in "GET /bundles/{bundle}/variables/{key}" with
// RequireBinding("bundle", "bundle"): a token that carries the host claim
// claim (a parse token bound to one bundle by token.Issuer.Narrow) is
// admitted only when that claim is the JSON string equal to the path value
// name. A token without the claim passes: which classes may call the route at
// all is Authenticate's Config.Classes. Otherwise, an empty path value or a
// claim that is not a string included, it answers 403 as [RequireSubject]
// does (no scope attribute, body "Token is not valid for this resource"),
// with its own cause, [ErrBindingMismatch] (reason "binding_mismatch"). Rejections are answered as for [RequireScopes]; without claims it
// fails closed with 401.
//
// It panics with a "middleware:" message when claim or name is empty. The
// middleware is safe for concurrent use.
func RequireBinding(claim, name string) func(http.Handler) http.Handler {
	if claim == "" || name == "" {
		panic("middleware: RequireBinding: empty claim or path value name")
	}
	return requirement(ErrBindingMismatch, "", func(c *token.Claims, r *http.Request) bool {
		bound, ok := c.Extra(claim)
		if !ok {
			return true
		}
		var s string
		v := r.PathValue(name)
		return v != "" && json.Unmarshal(bound, &s) == nil && s == v
	})
}
