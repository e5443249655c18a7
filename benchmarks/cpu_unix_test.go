//go:build unix

package benchmarks

import "syscall"

// cpuTime returns the CPU time, user and system, that this process has used
// in nanoseconds, garbage collection included; ok is false if it cannot be
// read.
func cpuTime() (ns int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
