//go:build windows

package lan

import (
	"errors"
	"syscall"
)

// Winsock error numbers; the syscall package's EADDRINUSE etc. are invented
// values on Windows that a failed listen never returns.
const (
	wsaeacces        syscall.Errno = 10013
	wsaeaddrinuse    syscall.Errno = 10048
	wsaeaddrnotavail syscall.Errno = 10049
)

func addrInUse(err error) bool    { return errors.Is(err, wsaeaddrinuse) }
func addrNotAvail(err error) bool { return errors.Is(err, wsaeaddrnotavail) }
func portDenied(err error) bool   { return errors.Is(err, wsaeacces) }
