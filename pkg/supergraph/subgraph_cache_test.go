package supergraph

import (
	"context"
	"testing"

	"github.com/graphql-go/graphql"
)

func TestInProcess_caches_documents_and_their_errors(t *testing.T) {
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{"echo": &graphql.Field{
			Type: graphql.String,
			Args: graphql.FieldConfigArgument{"s": &graphql.ArgumentConfig{Type: graphql.String}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return p.Args["s"], nil
			},
		}},
	})})
	if err != nil {
		t.Fatal(err)
	}
	sub := InProcess("echo", schema)
	for _, s := range []string{"a", "b"} { // the second from the cache, new variables
		data, errs, err := sub.Do(context.Background(), `query($s: String) { echo(s: $s) }`, map[string]any{"s": s})
		if err != nil || len(errs) > 0 || data["echo"] != s {
			t.Fatalf("echo %q: data %v errs %v err %v", s, data, errs, err)
		}
	}
	for _, q := range []string{`{ nope }`, `{ nope }`, `{ echo(`, `{ echo(`} {
		data, errs, err := sub.Do(context.Background(), q, nil)
		if err != nil || len(errs) == 0 || data != nil {
			t.Fatalf("%s: data %v errs %v err %v", q, data, errs, err)
		}
	}
	if n := sub.(*inProcess).docs.Len(); n != 3 {
		t.Fatalf("cached %d documents, want 3", n)
	}
}
