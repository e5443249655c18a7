// Package securitytest holds the end-to-end attack and fault suites: hostile
// tokens, requests, key sets and files sent through the public packages
// wired together, each asserting the exact response (status,
// WWW-Authenticate, body, error sentinel) and that nothing of the hostile
// input reaches a response or a log. The rules they prove are listed in the
// repository's SECURITY.md, which a test here keeps in step with the code
// and the README. The package has no code of its own.
package securitytest
