package qdrant

import (
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Conditions callers test with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrBadDimension  = errors.New("vector dimension mismatch")
	ErrUnauthorized  = errors.New("qdrant rejected the api key")
	ErrUnavailable   = errors.New("qdrant unavailable")
	ErrUnsupported   = errors.New("operation not supported by this vector engine")
	ErrInvalid       = errors.New("invalid request")
)

// classified carries both the sentinel a caller tests for and the original
// gRPC error, so status.Code still works on it.
type classified struct {
	kind error
	err  error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.kind, e.err} }

// classify maps a gRPC error from Qdrant onto this package's sentinels.
// Qdrant reports a wrong vector size as InvalidArgument with "dimension" in
// the message and a duplicate name as InvalidArgument with "already exists".
func classify(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := strings.ToLower(st.Message())
	var kind error
	switch st.Code() {
	case codes.NotFound:
		kind = ErrNotFound
	case codes.AlreadyExists:
		kind = ErrAlreadyExists
	case codes.InvalidArgument:
		switch {
		case strings.Contains(msg, "dimension"):
			kind = ErrBadDimension
		case strings.Contains(msg, "already exists"):
			kind = ErrAlreadyExists
		case strings.Contains(msg, "not found") || strings.Contains(msg, "doesn't exist"):
			kind = ErrNotFound
		default:
			kind = ErrInvalid
		}
	case codes.Unauthenticated, codes.PermissionDenied:
		kind = ErrUnauthorized
	case codes.Unavailable:
		kind = ErrUnavailable
	case codes.Unimplemented:
		kind = ErrUnsupported
	default:
		return err
	}
	return &classified{kind: kind, err: err}
}

// transient reports whether a failed call may succeed if repeated: the
// server was unreachable, overloaded or aborted the operation. Everything
// else (bad input, missing collection, auth) fails the same way again.
func transient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}
