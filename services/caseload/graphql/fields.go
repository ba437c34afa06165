package graphql

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
)

// get is a field read from a source of type S: views carry Go values, the
// wire wants RFC 3339 strings and nulls for "unknown".
func get[S any](t graphql.Output, desc string, read func(S) any) *graphql.Field {
	return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		s, ok := p.Source.(S)
		if !ok {
			return nil, fmt.Errorf("caseload graphql: %s resolved on %T", p.Info.FieldName, p.Source)
		}
		return read(s), nil
	}}
}

// opt is a string that is null when empty.
func opt(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// when is a time as API.md writes times, null when unset.
func when(t time.Time) any { return gql.Time(t) }

var (
	nnString  = graphql.NewNonNull(graphql.String)
	nnID      = graphql.NewNonNull(graphql.ID)
	nnInt     = graphql.NewNonNull(graphql.Int)
	nnBoolean = graphql.NewNonNull(graphql.Boolean)
)

func list(t graphql.Type) graphql.Output {
	return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t)))
}

func inputList(t graphql.Input) graphql.Input {
	return graphql.NewList(graphql.NewNonNull(t))
}

// key reads a shared entity's key field from the source the gateway (or
// this subgraph's standalone schema) hands a Locality or Patient field:
// map[string]any{"id": "leek"}, or a struct with the field (by name,
// case-insensitively, or by json tag), or a pointer to one.
func key(src any, name string) string {
	switch s := src.(type) {
	case map[string]any:
		return str(s[name])
	case map[string]string:
		return s[name]
	case string:
		return s
	}
	v := reflect.ValueOf(src)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && (strings.EqualFold(f.Name, name) || tag == name) {
			return str(v.Field(i).Interface())
		}
	}
	return ""
}

func str(v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	case fmt.Stringer:
		return s.String()
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String()
	}
	return ""
}
