// Package apperr defines the errors Quarry shows to people: a stable code
// that programs can test and a message a person can act on. Adapters (the
// Wails bindings and the HTTP API) render them; lower layers wrap causes.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error class.
type Code string

// The codes clients may see.
const (
	InvalidArgument  Code = "invalid_argument"
	NameTaken        Code = "name_taken"
	NotFound         Code = "not_found"
	ModelUnknown     Code = "model_unknown"
	ModelUnavailable Code = "model_unavailable"
	PathNotFound     Code = "path_not_found"
	NotADirectory    Code = "not_a_directory"
	PathUnreadable   Code = "path_unreadable"
	SourceExists     Code = "source_exists"
	SourceOverlap    Code = "source_overlap"
	Conflict         Code = "conflict"
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
	// Unauthenticated: no valid credentials (sign in again).
	Unauthenticated Code = "unauthenticated"
	// Forbidden: signed in, but this needs a higher permission.
	Forbidden Code = "forbidden"
	// RateLimited: too many attempts; RetryAfter says when to try again.
	RateLimited Code = "rate_limited"
	// TooLarge: the request body is over the limit.
	TooLarge Code = "too_large"
)

// Error is a user-facing error.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
	// RetryAfter is, for RateLimited, the seconds to wait.
	RetryAfter int `json:"retry_after,omitempty"`
	// Err is the underlying cause, for logs; never shown to clients.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an error about one request field.
func Field(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause to a user-facing error.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// From returns err as a user-facing error. Anything that is not one
// already becomes an internal error whose message reveals nothing.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "Something went wrong inside Quarry; the log has the details.", Err: err}
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
