package gql_test

import (
	"context"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
)

type figures struct{ Open, Late int }

// A container object that never refuses: its key is read without
// loading, its figures are loaded once, under the fields, and a refusal is
// the figures' fields' error, not the container's.
func TestDeferred_loads_once_under_the_fields_and_the_container_never_refuses(t *testing.T) {
	loads := 0
	allowed := true
	summary := graphql.NewObject(graphql.ObjectConfig{Name: "Summary", Fields: graphql.Fields{
		"id":   gql.DeferredKey[figures](graphql.NewNonNull(graphql.ID), ""),
		"open": gql.DeferredField(graphql.Int, "", func(f figures) any { return f.Open }),
		"late": gql.DeferredField(graphql.Int, "", func(f figures) any { return f.Late }),
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"summary": &graphql.Field{Type: graphql.NewNonNull(summary), Resolve: func(graphql.ResolveParams) (any, error) {
			return gql.Defer("leek", func(context.Context) (figures, error) {
				loads++
				if !allowed {
					return figures{}, errs.Forbidden("your role may not do this", "role")
				}
				return figures{Open: 3, Late: 1}, nil
			}), nil
		}},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	do := func(q string) *graphql.Result {
		return graphql.Do(graphql.Params{Schema: schema, RequestString: q, Context: context.Background()})
	}

	res := do(`{ summary { id open late } }`)
	if len(res.Errors) > 0 || loads != 1 {
		t.Fatalf("errors %+v, %d loads (want 1)", res.Errors, loads)
	}
	if got := res.Data.(map[string]any)["summary"].(map[string]any); got["id"] != "leek" || got["open"] != 3 || got["late"] != 1 {
		t.Fatalf("summary %v", got)
	}

	loads, allowed = 0, false
	if res := do(`{ summary { id } }`); len(res.Errors) > 0 || loads != 0 {
		t.Fatalf("the key alone: errors %+v, %d loads (want none)", res.Errors, loads)
	}
	res = do(`{ summary { id open } }`)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("a refused figure: errors %+v", res.Errors)
	}
	if got := res.Data.(map[string]any)["summary"].(map[string]any); got["id"] != "leek" || got["open"] != nil {
		t.Fatalf("a refused figure: summary %v", got)
	}
}
