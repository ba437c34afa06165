package supergraph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/federation"
	"carecoord/pkg/gql"
	"carecoord/pkg/supergraph"
)

// The direct path calls a subgraph's resolvers itself, so the subgraph's
// own values must not leak: enums whose internal values are not their
// names, input objects holding them, abstract types resolved by Go type,
// and errors of non-null fields. Each query must answer the same on every
// path.

type colour int

const (
	red colour = iota + 1
	green
)

type thing struct {
	ID     string
	Colour colour
}

type circle struct{ ID, Radius string }
type square struct{ ID, Side string }

type box struct{ ID string }

func thingsSchema(t *testing.T) graphql.Schema {
	t.Helper()
	colourEnum := graphql.NewEnum(graphql.EnumConfig{Name: "Colour", Values: graphql.EnumValueConfigMap{
		"RED": {Value: red}, "GREEN": {Value: green},
	}})
	thingType := graphql.NewObject(graphql.ObjectConfig{Name: "Thing", Fields: graphql.Fields{
		"id":     {Type: graphql.NewNonNull(graphql.ID)},
		"colour": {Type: graphql.NewNonNull(colourEnum)},
	}})
	filter := graphql.NewInputObject(graphql.InputObjectConfig{Name: "ThingFilter", Fields: graphql.InputObjectConfigFieldMap{
		"colours": {Type: graphql.NewList(graphql.NewNonNull(colourEnum))},
	}})
	shape := graphql.NewInterface(graphql.InterfaceConfig{Name: "Shape", Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}}})
	circleType := graphql.NewObject(graphql.ObjectConfig{Name: "Circle", Interfaces: []*graphql.Interface{shape}, Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID)}, "radius": {Type: graphql.String},
	}})
	squareType := graphql.NewObject(graphql.ObjectConfig{Name: "Square", Interfaces: []*graphql.Interface{shape}, Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID)}, "side": {Type: graphql.String},
	}})
	shape.ResolveType = func(p graphql.ResolveTypeParams) *graphql.Object {
		switch p.Value.(type) {
		case circle:
			return circleType
		case square:
			return squareType
		}
		return nil
	}
	boxType := graphql.NewObject(graphql.ObjectConfig{Name: "Box", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID)},
		"secret": {Type: graphql.NewNonNull(graphql.String), Resolve: gql.Resolver(func(graphql.ResolveParams) (any, error) {
			return nil, errs.Forbidden("not yours", "test")
		})},
	}})
	things := []thing{{"t1", red}, {"t2", green}, {"t3", red}}
	s, err := federation.Subgraph(federation.Config{
		Query: graphql.Fields{
			"things": {
				Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(thingType))),
				Args: graphql.FieldConfigArgument{"filter": {Type: filter}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					f, _ := p.Args["filter"].(map[string]any)
					want, _ := f["colours"].([]any)
					var out []thing
					for _, th := range things {
						keep := len(want) == 0
						for _, c := range want {
							// The subgraph's own values, as graphql-go gives them.
							if c.(colour) == th.Colour {
								keep = true
							}
						}
						if keep {
							out = append(out, th)
						}
					}
					return out, nil
				},
			},
			"byColour": {
				Type: graphql.NewList(graphql.NewNonNull(thingType)),
				Args: graphql.FieldConfigArgument{"colour": {Type: graphql.NewNonNull(colourEnum)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					c, ok := p.Args["colour"].(colour)
					if !ok {
						return nil, fmt.Errorf("colour argument of type %T", p.Args["colour"])
					}
					var out []thing
					for _, th := range things {
						if th.Colour == c {
							out = append(out, th)
						}
					}
					return out, nil
				},
			},
			"shapes": {
				Type: graphql.NewList(shape),
				Resolve: func(graphql.ResolveParams) (any, error) {
					return []any{circle{"c1", "2"}, square{"s1", "3"}}, nil
				},
			},
			"box": {Type: boxType, Resolve: func(graphql.ResolveParams) (any, error) { return box{"b1"}, nil }},
			"none": {
				Type:    graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(thingType))),
				Resolve: func(graphql.ResolveParams) (any, error) { return []thing(nil), nil },
			},
		},
		Types: []graphql.Type{circleType, squareType},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDirectPathAnswersAsTheDocumentPath(t *testing.T) {
	compose := func(sub supergraph.Subgraph) *supergraph.Supergraph {
		sg, err := supergraph.Compose(context.Background(), []supergraph.Subgraph{sub}, supergraph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return sg
	}
	paths := map[string]*supergraph.Supergraph{
		"direct":    compose(supergraph.InProcess("things", thingsSchema(t))),
		"documents": compose(&counting{Subgraph: supergraph.InProcess("things", thingsSchema(t))}),
		"http":      compose(supergraph.Remote("things", serve(t, thingsSchema(t), nil).URL, nil, nil)),
	}
	for _, tc := range []struct {
		name, query, want string
		vars              map[string]any
	}{
		{"enum output", `{ things { id colour } }`,
			`{"data":{"things":[{"colour":"RED","id":"t1"},{"colour":"GREEN","id":"t2"},{"colour":"RED","id":"t3"}]}}`, nil},
		{"enum argument", `{ byColour(colour: GREEN) { id } }`, `{"data":{"byColour":[{"id":"t2"}]}}`, nil},
		{"enum in an input object, from a variable", `query($f: ThingFilter) { things(filter: $f) { id } }`,
			`{"data":{"things":[{"id":"t1"},{"id":"t3"}]}}`, map[string]any{"f": map[string]any{"colours": []any{"RED"}}}},
		{"a nil slice is an empty list", `{ none { id } }`, `{"data":{"none":[]}}`, nil},
		{"interface", `{ shapes { __typename id ... on Circle { radius } ... on Square { side } } }`,
			`{"data":{"shapes":[{"__typename":"Circle","id":"c1","radius":"2"},{"__typename":"Square","id":"s1","side":"3"}]}}`, nil},
		{"non-null field refused", `{ box { id secret } }`,
			`{"data":{"box":null},"errors":[{"message":"not yours","locations":[{"line":1,"column":12}],"path":["box","secret"],"extensions":{"code":"FORBIDDEN","reason":"test"}}]}`, nil},
	} {
		for name, sg := range paths {
			res := sg.Do(graphql.Params{Context: context.Background(), RequestString: tc.query, VariableValues: tc.vars})
			got := asJSON(t, res)
			if name == "direct" || tc.name != "non-null field refused" {
				if got != tc.want {
					t.Errorf("%s, %s:\n got %s\nwant %s", tc.name, name, got, tc.want)
				}
				continue
			}
			// The document path reports the error without its location.
			if res.Data == nil || asJSON(t, res.Data) != `{"box":null}` || len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s, %s: got %s", tc.name, name, got)
			}
		}
	}
}
