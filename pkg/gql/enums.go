package gql

import "github.com/graphql-go/graphql"

// WarmEnums builds the lookup tables of every enum of schema. graphql-go
// (v0.8.1) builds an enum's value and name tables on first use, without a
// lock, so the first requests served at once race on them; building them
// before serving leaves only reads. Call it on a schema before it serves
// concurrent requests (pkg/graphqlhttp, pkg/graphqlws and pkg/supergraph
// do).
func WarmEnums(schema graphql.Schema) {
	for _, t := range schema.TypeMap() {
		if e, ok := t.(*graphql.Enum); ok {
			vals := e.Values()
			if len(vals) == 0 {
				continue
			}
			e.Serialize(vals[0].Value)
			e.ParseValue(vals[0].Name)
		}
	}
}
