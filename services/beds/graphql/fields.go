package graphql

import (
	"reflect"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
)

// as reads a resolver's source as T, whether it was handed over as T or *T.
func as[T any](src any) T {
	switch v := src.(type) {
	case T:
		return v
	case *T:
		if v != nil {
			return *v
		}
	}
	var zero T
	return zero
}

// field is a field read from the source by get.
func field[T any](typ graphql.Output, get func(T) any) *graphql.Field {
	return &graphql.Field{Type: typ, Resolve: func(p graphql.ResolveParams) (any, error) { return get(as[T](p.Source)), nil }}
}

// timeField is an RFC 3339 time read from the source (null when zero).
func timeField[T any](nonNull bool, get func(T) time.Time) *graphql.Field {
	var typ graphql.Output = graphql.String
	if nonNull {
		typ = graphql.NewNonNull(graphql.String)
	}
	return field(typ, func(v T) any { return gql.Time(get(v)) })
}

// orNull hands graphql-go a nil pointer as null (a typed nil in an interface
// is not nil to it).
func orNull[T any](v *T, err error) (any, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return *v, nil
}

// optional turns "" into null.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// optEnum turns an unset enum value into null, and keeps a set one typed
// (the enums serialise typed domain values).
func optEnum[T ~string](v T) any {
	if v == "" {
		return nil
	}
	return v
}

// Non-null shorthands.
var (
	nnString  = graphql.NewNonNull(graphql.String)
	nnID      = graphql.NewNonNull(graphql.ID)
	nnInt     = graphql.NewNonNull(graphql.Int)
	nnFloat   = graphql.NewNonNull(graphql.Float)
	nnBoolean = graphql.NewNonNull(graphql.Boolean)
)

func listOf(t graphql.Type) graphql.Output {
	return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t)))
}

// keyOf reads an entity key ("id" of a Locality, "nhsNumber" of a Patient)
// from the source the gateway hands a shared entity's field: a map, or a
// struct with the key as a field (by name, case-insensitive, or JSON tag).
func keyOf(src any, key string) (string, bool) {
	switch v := src.(type) {
	case map[string]any:
		s, ok := v[key].(string)
		return s, ok
	case map[string]string:
		s, ok := v[key]
		return s, ok
	}
	rv := reflect.ValueOf(src)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "", false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return "", false
	}
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if strings.EqualFold(f.Name, key) || tag == key {
			fv := rv.Field(i)
			if s, ok := fv.Interface().(interface{ String() string }); ok {
				return s.String(), true
			}
			if fv.Kind() == reflect.String {
				return fv.String(), true
			}
		}
	}
	return "", false
}
