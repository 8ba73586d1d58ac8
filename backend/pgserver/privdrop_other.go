//go:build !linux

package pgserver

func asDatabaseUser(fn func() error) error { return fn() }

func chownForDatabaseUser(string) error { return nil }
