//go:build race

package main

// The replicas of the fleet test are built with the race detector when the
// tests run with it, so that -race covers the processes too.
func init() { buildFlags = append(buildFlags, "-race") }
