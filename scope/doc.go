// Package scope names the token classes and permission scopes carried in a
// token's space-delimited "scope" claim (RFC 8693 §4.2).
//
// Every token carries exactly one class value — [Workload], [Execution] or
// [Processor], or a class a host registers (package token's Classes) — and
// may carry permission scopes a host defines. A [Set] holds the parsed
// values; [Set.Class] returns its single built-in class.
//
// # Example
//
//	set, err := scope.Parse("execution connections:read")
//	class, err := set.Class() // scope.Execution
//	ok := set.HasAll("connections:read")
package scope
