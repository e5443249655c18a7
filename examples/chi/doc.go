// Package chiexample shows execauth's middleware on a chi router. It is a
// module of its own, so that the core module never depends on chi.
package chiexample
