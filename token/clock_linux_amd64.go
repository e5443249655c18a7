package token

import (
	"syscall"
	"time"
)

// wallClock is the verifier's default clock: the wall clock alone. time.Now
// also reads the monotonic clock, which claims (whole seconds of wall time)
// never use; here each clock is a vDSO call, and the monotonic one is half
// of time.Now and about 8 % of a cached request (benchmark row
// Middleware/HS256/execauth+cache).
func wallClock() time.Time {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now()
	}
	return time.Unix(tv.Sec, tv.Usec*1000)
}
