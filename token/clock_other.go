//go:build !(linux && amd64)

package token

import "time"

// wallClock is the verifier's default clock.
func wallClock() time.Time { return time.Now() }
