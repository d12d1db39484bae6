package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the edge, which maps each kind to one
// transport code. Stores and services return kinds, never transport codes.
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindAlreadyExists
	KindPermissionDenied
	KindUnauthenticated
	KindFailedPrecondition
	KindUnavailable
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not found"
	case KindAlreadyExists:
		return "already exists"
	case KindPermissionDenied:
		return "permission denied"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindFailedPrecondition:
		return "failed precondition"
	case KindUnavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// Error is a domain error. Field names the offending request field, when one
// is to blame, so clients can point at it.
type Error struct {
	Kind  Kind
	Field string
	Msg   string
	Err   error
	// RetryAfter, on an unavailable error, is when a retry may succeed (a
	// dependency's circuit breaker is open for that long); the edge hands
	// it to the client as a retry hint. Zero: no hint.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		if msg == "" {
			return e.Err.Error()
		}
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the kind of the first domain error in err's chain, and
// KindInternal for anything else. It looks through the operation names the
// services and stores add with derrors.Wrap, which clients never see: the
// edge answers with the domain error's own Field and Msg.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// IsKind reports whether err carries kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Invalid reports a bad request field.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing entity, e.g. NotFound("playlist", id).
func NotFound(what, id string) error {
	return &Error{Kind: KindNotFound, Msg: fmt.Sprintf("%s %q not found", what, id)}
}

// AlreadyExists reports a uniqueness conflict on field.
func AlreadyExists(field, format string, args ...any) error {
	return &Error{Kind: KindAlreadyExists, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// PermissionDenied reports an authenticated caller lacking a right.
func PermissionDenied(format string, args ...any) error {
	return &Error{Kind: KindPermissionDenied, Msg: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports missing or bad credentials.
func Unauthenticated(format string, args ...any) error {
	return &Error{Kind: KindUnauthenticated, Msg: fmt.Sprintf(format, args...)}
}

// FailedPrecondition reports a request that cannot run in the current state.
func FailedPrecondition(format string, args ...any) error {
	return &Error{Kind: KindFailedPrecondition, Msg: fmt.Sprintf(format, args...)}
}

// Unavailable reports a dependency that cannot answer now; retrying may work.
func Unavailable(format string, args ...any) error {
	return &Error{Kind: KindUnavailable, Msg: fmt.Sprintf(format, args...)}
}
