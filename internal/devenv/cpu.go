package devenv

import (
	"syscall"
	"time"
)

// ProcessCPU is the user and system CPU the calling process has used so
// far, for benchmarks that report the CPU their own side spent (0 when
// the system cannot tell).
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
