//go:build !windows

package lan

import (
	"errors"
	"syscall"
)

func addrInUse(err error) bool    { return errors.Is(err, syscall.EADDRINUSE) }
func addrNotAvail(err error) bool { return errors.Is(err, syscall.EADDRNOTAVAIL) }
func portDenied(err error) bool   { return errors.Is(err, syscall.EACCES) }
