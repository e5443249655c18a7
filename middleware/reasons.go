package middleware

import "github.com/execauth/execauth/token"

// Reasons returns every code [Error.Reason] can return: this package's
// ("no_credentials", "invalid_request", "insufficient_scope",
// "subject_mismatch", "binding_mismatch", "no_claims", "internal") followed
// by the token
// package's ([token.Reasons]). A metrics exporter can create its series up
// front from it.
func Reasons() []string {
	out := make([]string, 0, len(causes)+len(token.Reasons()))
	for _, c := range causes {
		out = append(out, c.code)
	}
	return append(out, token.Reasons()...)
}
