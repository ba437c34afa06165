// Package errs is carecoord's one small error vocabulary. The domain and app
// layers return *Error values that carry a Kind (what the client can do about
// it), a slug (a stable machine-readable reason) and a message written for the
// person at the screen. Ports map the Kind to the wire once: GraphQL's
// extensions.code, an HTTP status.
//
// Messages and fields never hold patient data: say "the referral is already
// triaged", never the patient's name or NHS number.
//
// It imports nothing of carecoord.
package errs

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an error is.
type Kind int

const (
	// KindInternal is anything unexpected: the client should retry later.
	KindInternal Kind = iota
	// KindInvalidInput is bad input or an illegal workflow step.
	KindInvalidInput
	// KindNotFound means the thing asked for does not exist (or is not
	// visible to the caller).
	KindNotFound
	// KindConflict means the state changed under the caller: reload, retry.
	KindConflict
	// KindForbidden means the caller may not do this.
	KindForbidden
	// KindUnauthenticated means there is no valid identity.
	KindUnauthenticated
	// KindRateLimited means the caller is going too fast.
	KindRateLimited
)

// Code is the GraphQL extensions.code of a kind (API.md).
func (k Kind) Code() string {
	switch k {
	case KindInvalidInput:
		return "BAD_USER_INPUT"
	case KindNotFound:
		return "NOT_FOUND"
	case KindConflict:
		return "CONFLICT"
	case KindForbidden:
		return "FORBIDDEN"
	case KindUnauthenticated:
		return "UNAUTHENTICATED"
	case KindRateLimited:
		return "RATE_LIMITED"
	default:
		return "INTERNAL"
	}
}

// Error is a typed error.
type Error struct {
	Kind Kind
	// Slug is a stable identifier of the reason, e.g. "bed-occupied".
	Slug string
	// Msg is what the client is told: what happened and what to do.
	Msg string
	// Field names the offending input field for KindInvalidInput, as a
	// path in the input object ("patient.nhsNumber").
	Field string
	cause error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Msg)
	}
	return e.Msg
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Invalid is bad input in one field.
func Invalid(field, msg, slug string) *Error {
	return &Error{Kind: KindInvalidInput, Field: field, Msg: msg, Slug: slug}
}

// IllegalStep is a workflow step the current state does not allow. The
// message names the current state, as API.md promises.
func IllegalStep(what, state, slug string) *Error {
	return &Error{Kind: KindInvalidInput, Msg: fmt.Sprintf("cannot %s: it is %s", what, state), Slug: slug}
}

// NotFound is a missing thing.
func NotFound(msg, slug string) *Error { return &Error{Kind: KindNotFound, Msg: msg, Slug: slug} }

// Conflict is a concurrent change.
func Conflict(msg, slug string) *Error { return &Error{Kind: KindConflict, Msg: msg, Slug: slug} }

// Forbidden is a refused permission.
func Forbidden(msg, slug string) *Error { return &Error{Kind: KindForbidden, Msg: msg, Slug: slug} }

// Unauthenticated is a missing or invalid identity.
func Unauthenticated(msg, slug string) *Error {
	return &Error{Kind: KindUnauthenticated, Msg: msg, Slug: slug}
}

// RateLimited is a refused request for going too fast.
func RateLimited(msg, slug string) *Error {
	return &Error{Kind: KindRateLimited, Msg: msg, Slug: slug}
}

// Internal wraps an unexpected failure. The client sees only msg; the cause
// is for the logs.
func Internal(msg string, cause error) *Error {
	return &Error{Kind: KindInternal, Msg: msg, Slug: "internal", cause: cause}
}

// As finds the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err: KindInternal for an untyped error.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err is a typed error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
