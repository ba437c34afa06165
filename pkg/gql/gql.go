// Package gql is what every subgraph built with graphql-go shares: typed
// errors mapped to extensions.code once, input decoding into Go structs, and
// time formatting. Resolvers stay one-line calls into a service's app layer.
//
// It imports pkg/errs.
package gql

import (
	"encoding/json"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
)

// FieldError is the error a resolver hands graphql-go: graphql-go reads
// extensions only from the error value itself (it does not unwrap), so
// this is built from the typed error before it is returned.
type FieldError struct {
	msg        string
	extensions map[string]any
}

func (e *FieldError) Error() string              { return e.msg }
func (e *FieldError) Extensions() map[string]any { return e.extensions }

// Error maps any error to a FieldError with extensions.code (and field and
// reason where known). An untyped or internal error says only that something
// went wrong: its text may hold details no client should see.
func Error(err error) error {
	if err == nil {
		return nil
	}
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.KindInternal {
		msg := "internal error: try again, and report it if it persists"
		if ok && e.Msg != "" {
			msg = e.Msg
		}
		return &FieldError{msg: msg, extensions: map[string]any{"code": errs.KindInternal.Code()}}
	}
	ext := map[string]any{"code": e.Kind.Code()}
	if e.Slug != "" {
		ext["reason"] = e.Slug
	}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	return &FieldError{msg: e.Error(), extensions: ext}
}

// Resolver wraps a resolver so that its errors are mapped by Error.
func Resolver(fn func(p graphql.ResolveParams) (any, error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		v, err := fn(p)
		if err != nil {
			return nil, Error(err)
		}
		return v, nil
	}
}

// Decode turns a GraphQL input argument (already coerced by graphql-go) into
// a Go struct via its JSON field names.
func Decode[T any](p graphql.ResolveParams, arg string) (T, error) {
	var out T
	raw, ok := p.Args[arg]
	if !ok {
		return out, errs.Invalid(arg, "is required", "required")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return out, errs.Invalid(arg, "could not be read", "input-unreadable")
	}
	if err := json.Unmarshal(b, &out); err != nil {
		if e, ok := errs.As(err); ok {
			if e.Field != "" {
				e = &errs.Error{Kind: e.Kind, Slug: e.Slug, Msg: e.Msg, Field: arg + "." + e.Field}
			}
			return out, e
		}
		return out, errs.Invalid(arg, "has a value of the wrong shape", "input-shape")
	}
	return out, nil
}

// Time formats a time as RFC 3339 in UTC (API.md), or nil for the zero time.
func Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// ParseTime reads an RFC 3339 input time.
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	return t.UTC(), nil
}

// CommandID is the optional commandId argument every mutation takes.
var CommandID = &graphql.ArgumentConfig{
	Type:        graphql.String,
	Description: "Idempotency key: repeating a mutation with the same commandId returns the first result and writes nothing.",
}
