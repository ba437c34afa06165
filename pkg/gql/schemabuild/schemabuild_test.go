package schemabuild

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql/sdl"
)

// TestServiceSDL builds each service's checked-in SDL (standalone and
// federated) and prints it back: sdl.Print is sorted and deterministic, and
// those files were printed by it, so the round trip must be exact,
// descriptions, type signatures and federation directives included.
func TestServiceSDL(t *testing.T) {
	files, err := filepath.Glob("../../../services/*/graphql/testdata/*.graphql")
	if err != nil || len(files) < 8 {
		t.Fatalf("found %d SDL files (%v), want the four services' standalone and federated SDL", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, table, err := BuildWithDirectives(string(want), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var header []string
			for _, d := range table.Directives(SchemaCoordinate) {
				header = append(header, d.SDL)
			}
			opts := sdl.Options{Directives: func(c string) []string {
				var out []string
				for _, d := range table.Directives(c) {
					out = append(out, d.SDL)
				}
				return out
			}}
			if len(header) > 0 {
				opts.Header = "extend schema " + strings.Join(header, " ")
			}
			if got := sdl.Print(s, opts); got != string(want) {
				t.Errorf("printed schema differs from %s:\n%s", file, lineDiff(string(want), got))
			}
			if strings.Contains(string(want), "@key") {
				keys := table.Directives("Patient")
				if len(keys) != 1 || keys[0].Name != "key" || keys[0].Args["fields"] != "nhsNumber" {
					t.Errorf("Directives(Patient) = %+v, want @key(fields: \"nhsNumber\")", keys)
				}
				hidden, err := Build(string(want), Options{HideInaccessible: true})
				if err != nil {
					t.Fatal(err)
				}
				for name, f := range hidden.Type("Patient").(*graphql.Object).Fields() {
					if strings.HasSuffix(name, "Timeline") {
						t.Errorf("HideInaccessible kept Patient.%s: %v", name, f.Type)
					}
				}
			}
		})
	}
}

// lineDiff lists the lines only one of a and b has (enough to find a
// mismatch).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

const testSDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

"""Search results, referred to before they are defined."""
union SearchResult = Ward | Bed

type Query {
  wards(status: WardStatus = OPEN, limit: Int = 10, tags: [String!] = "a"): [Ward!]!
  search(filter: Filter): [SearchResult!]!
  node: Node
  old: String @deprecated(reason: "use wards")
}

interface Node { id: ID! }

type Ward implements Node @key(fields: "id") {
  id: ID!
  name: String!
  status: WardStatus!
  beds: [[Bed]]
  secret: String @inaccessible
}

extend type Ward {
  extra: JSON
}

type Bed implements Node { id: ID! label: String }

enum WardStatus { OPEN CLOSED @deprecated }

input Filter { text: String! = "x", ratio: Float = 1, nested: Filter }

scalar JSON
`

func run(t *testing.T, s graphql.Schema, query string, root map[string]any) string {
	t.Helper()
	r := graphql.Do(graphql.Params{Schema: s, RequestString: query, RootObject: root})
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %v", query, r.Errors)
	}
	return sdl.Value(r.Data, nil)
}

func TestExecute(t *testing.T) {
	s, table, err := BuildWithDirectives(testSDL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	root := map[string]any{
		"wards": []any{map[string]any{
			"id": "w1", "name": "Ash", "status": "CLOSED", "extra": map[string]any{"k": []any{1.5}},
			"beds": []any{[]any{map[string]any{"id": "b1", "label": "B1"}, nil}, []any{}},
		}},
		"search": []any{
			map[string]any{"__typename": "Bed", "id": "b2", "label": "B2"},
			map[string]any{"__typename": "Ward", "id": "w2", "name": "Elm"},
		},
		"node": map[string]any{"__typename": "Bed", "id": "b3"},
	}
	got := run(t, s, `{
		first: wards { ward: name status extra beds { id l: label } }
		again: wards { id }
		search { __typename ... on Bed { label } ... on Ward { name } }
		node { id __typename }
	}`, root)
	want := `{again: [{id: "w1"}], first: [{beds: [[{id: "b1", l: "B1"}, null], []], extra: {k: [1.5]}, status: "CLOSED", ward: "Ash"}], ` +
		`node: {__typename: "Bed", id: "b3"}, search: [{__typename: "Bed", label: "B2"}, {__typename: "Ward", name: "Elm"}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Types, defaults, deprecations and the side table.
	args := map[string]any{}
	for _, a := range s.QueryType().Fields()["wards"].Args {
		args[a.Name()] = a.DefaultValue
	}
	if want := map[string]any{"status": "OPEN", "limit": 10, "tags": []any{"a"}}; !reflect.DeepEqual(args, want) {
		t.Errorf("wards defaults = %#v, want %#v", args, want)
	}
	filter := s.Type("Filter").(*graphql.InputObject).Fields()
	if filter["ratio"].DefaultValue != 1.0 || filter["text"].DefaultValue != "x" || filter["nested"].Type != s.Type("Filter") {
		t.Errorf("Filter fields = %+v", filter)
	}
	if r := s.QueryType().Fields()["old"].DeprecationReason; r != "use wards" {
		t.Errorf("old deprecation = %q", r)
	}
	if v := s.Type("WardStatus").(*graphql.Enum).Values(); v[0].DeprecationReason == "" && v[1].DeprecationReason == "" {
		t.Errorf("WardStatus.CLOSED not deprecated: %+v", v)
	}
	if got := s.Type("SearchResult").Description(); got != "Search results, referred to before they are defined." {
		t.Errorf("union description = %q", got)
	}
	if d := table.Directives("Ward"); len(d) != 1 || d[0].SDL != `@key(fields: "id")` {
		t.Errorf("Directives(Ward) = %+v", d)
	}
	if d := table.Directives(SchemaCoordinate); len(d) != 1 || d[0].Name != "link" || !reflect.DeepEqual(d[0].Args["import"], []any{"@key"}) {
		t.Errorf("schema directives = %+v", d)
	}
	if got, want := table.Coordinates(), []string{"", "Ward", "Ward.secret"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Coordinates() = %q, want %q", got, want)
	}
	if _, ok := s.Type("Ward").(*graphql.Object).Fields()["secret"]; !ok {
		t.Error("Ward.secret hidden without HideInaccessible")
	}
	hidden, err := Build(testSDL, Options{HideInaccessible: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hidden.Type("Ward").(*graphql.Object).Fields()["secret"]; ok {
		t.Error("Ward.secret kept with HideInaccessible")
	}
}

func TestResolveHooks(t *testing.T) {
	var asked []string
	s, err := Build(testSDL, Options{
		Resolve: func(typeName, fieldName string) graphql.FieldResolveFn {
			asked = append(asked, typeName+"."+fieldName)
			if typeName == "Ward" && fieldName == "name" {
				return func(p graphql.ResolveParams) (any, error) {
					return strings.ToUpper(p.Source.(map[string]any)["name"].(string)), nil
				}
			}
			if typeName == "Query" && fieldName == "wards" {
				return func(p graphql.ResolveParams) (any, error) {
					return []any{map[string]any{"name": "ash", "status": p.Args["status"]}}, nil
				}
			}
			return nil
		},
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			return p.Info.Schema.Type("Ward").(*graphql.Object)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, s, `{ wards { name status } search { ... on Ward { id } } }`,
		map[string]any{"search": []any{map[string]any{"id": "w9"}}})
	if want := `{search: [{id: "w9"}], wards: [{name: "ASH", status: "OPEN"}]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if len(asked) == 0 {
		t.Error("Resolve hook never called")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, sdl, want string }{
		{"unknown field type", `type Query { a: Missing }`, "Query.a refers to unknown type Missing"},
		{"unknown argument type", `type Query { a(x: [In!]): Int }`, "Query.a(x:) refers to unknown type In"},
		{"unknown member", `type Query { a: U } union U = Nope`, "union U refers to unknown type Nope"},
		{"extension of nothing", `type Query { a: Int } extend type B { b: Int }`, "extend type B"},
		{"duplicate", `type Query { a: Int } type Query { b: Int }`, "defined twice"},
		{"no query", `type Mutation { a: Int }`, "no query root type"},
		{"missing type", `type Query { a: }`, "Query.a has no type"},
		{"syntax", `type Query { a: Int`, "Syntax Error"},
	} {
		if _, err := Build(tc.sdl, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// A visible field may not refer to a hidden type.
	_, err := Build(`type Query { a: T } type T @inaccessible { b: Int }`, Options{HideInaccessible: true})
	if err == nil || !strings.Contains(err.Error(), "Query.a refers to unknown type T") {
		t.Errorf("hidden type: err = %v", err)
	}
}

func TestHiddenMembers(t *testing.T) {
	s, err := Build(`type Query { u: U n: A }
		interface N @inaccessible { id: ID }
		type A implements N { id: ID }
		type B @inaccessible { id: ID }
		union U = A | B`, Options{HideInaccessible: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Type("B") != nil || len(s.Type("U").(*graphql.Union).Types()) != 1 || len(s.Type("A").(*graphql.Object).Interfaces()) != 0 {
		t.Errorf("hidden types kept: %v", s.TypeMap())
	}
}
