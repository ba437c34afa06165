package sdl_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"

	"carecoord/pkg/gql/sdl"
)

// kitchenSink has one of every kind of type, descriptions, defaults and a
// deprecation.
func kitchenSink(t *testing.T) graphql.Schema {
	t.Helper()
	date := graphql.NewScalar(graphql.ScalarConfig{
		Name:        "Date",
		Description: "A calendar date, 2026-11-23.",
		Serialize:   func(v any) any { return v },
	})
	priority := graphql.NewEnum(graphql.EnumConfig{
		Name:        "Priority",
		Description: "How soon.",
		Values: graphql.EnumValueConfigMap{
			"URGENT":  {Value: 1, Description: "Within 2 hours."},
			"ROUTINE": {Value: 2},
			"SOON":    {Value: 3, DeprecationReason: "Use URGENT or ROUTINE."},
		},
	})
	node := graphql.NewInterface(graphql.InterfaceConfig{
		Name:        "Node",
		Description: "Anything with an id.",
		Fields:      graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return nil },
	})
	patient := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Patient",
		Description: "A patient.\nKeyed by NHS number.",
		Interfaces:  []*graphql.Interface{node},
		Fields: graphql.Fields{
			"id":          {Type: graphql.NewNonNull(graphql.ID)},
			"nhsNumber":   {Type: graphql.NewNonNull(graphql.String), Description: `The "NHS number".`},
			"dateOfBirth": {Type: date},
			"age":         {Type: graphql.Int, DeprecationReason: graphql.DefaultDeprecationReason},
		},
	})
	referral := graphql.NewObject(graphql.ObjectConfig{
		Name:       "Referral",
		Interfaces: []*graphql.Interface{node},
		Fields: graphql.Fields{
			"id":       {Type: graphql.NewNonNull(graphql.ID)},
			"priority": {Type: graphql.NewNonNull(priority)},
			"patient":  {Type: patient},
		},
	})
	result := graphql.NewUnion(graphql.UnionConfig{
		Name:        "SearchResult",
		Types:       []*graphql.Object{referral, patient},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return nil },
	})
	window := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "Window",
		Fields: graphql.InputObjectConfigFieldMap{
			"from": {Type: date, Description: "Inclusive."},
			"days": {Type: graphql.NewNonNull(graphql.Int), DefaultValue: 30},
		},
	})
	filter := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "Filter",
		Fields: graphql.InputObjectConfigFieldMap{
			"priorities": {Type: graphql.NewList(graphql.NewNonNull(priority)), DefaultValue: []any{1, 2}},
			"window":     {Type: window, DefaultValue: map[string]any{"days": 7, "from": "2026-01-01"}},
			"text":       {Type: graphql.String, DefaultValue: "say \"hi\"\n"},
			"ratio":      {Type: graphql.Float, DefaultValue: 0.5},
			"open":       {Type: graphql.Boolean, DefaultValue: true},
		},
	})
	query := graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"search": {
				Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(result))),
				Description: "Search everything.",
				Args: graphql.FieldConfigArgument{
					"filter": {Type: filter},
					"limit":  {Type: graphql.Int, DefaultValue: 10, Description: "At most this many."},
				},
			},
			"node":     {Type: node, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
			"priority": {Type: priority, Args: graphql.FieldConfigArgument{"at": {Type: priority, DefaultValue: 1}}},
		},
	})
	mutation := graphql.NewObject(graphql.ObjectConfig{
		Name:   "Mutation",
		Fields: graphql.Fields{"refer": {Type: referral, Args: graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}}}},
	})
	s, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: query, Mutation: mutation,
		Types: []graphql.Type{referral, patient},
		Directives: append(slices.Clone(graphql.SpecifiedDirectives), graphql.NewDirective(graphql.DirectiveConfig{
			Name:        "audited",
			Description: "Recorded in the audit trail.",
			Locations:   []string{graphql.DirectiveLocationField, graphql.DirectiveLocationQuery},
			Args:        graphql.FieldConfigArgument{"reason": {Type: graphql.String, DefaultValue: "care"}},
		})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const want = `"""Recorded in the audit trail."""
directive @audited(reason: String = "care") on FIELD | QUERY

"""A calendar date, 2026-11-23."""
scalar Date

input Filter {
  open: Boolean = true
  priorities: [Priority!] = [URGENT, ROUTINE]
  ratio: Float = 0.5
  text: String = "say \"hi\"\n"
  window: Window = {days: 7, from: "2026-01-01"}
}

type Mutation {
  refer(nhsNumber: String!): Referral
}

"""Anything with an id."""
interface Node {
  id: ID!
}

"""
A patient.
Keyed by NHS number.
"""
type Patient implements Node {
  age: Int @deprecated
  dateOfBirth: Date
  id: ID!
  """The "NHS number"."""
  nhsNumber: String!
}

"""How soon."""
enum Priority {
  ROUTINE
  SOON @deprecated(reason: "Use URGENT or ROUTINE.")
  """Within 2 hours."""
  URGENT
}

type Query {
  node(id: ID!): Node
  priority(at: Priority = URGENT): Priority
  """Search everything."""
  search(
    filter: Filter
    """At most this many."""
    limit: Int = 10
  ): [SearchResult!]!
}

type Referral implements Node {
  id: ID!
  patient: Patient
  priority: Priority!
}

union SearchResult = Referral | Patient

input Window {
  days: Int! = 30
  """Inclusive."""
  from: Date
}
`

func TestPrint_prints_every_kind_of_type(t *testing.T) {
	got := sdl.Print(kitchenSink(t), sdl.Options{})
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	for range 20 {
		if again := sdl.Print(kitchenSink(t), sdl.Options{}); again != got {
			t.Fatalf("not deterministic:\n%s", again)
		}
	}
}

func TestPrint_parses_back_to_the_same_types_and_fields(t *testing.T) {
	s := kitchenSink(t)
	doc, err := parser.Parse(parser.ParseParams{Source: sdl.Print(s, sdl.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.ObjectDefinition:
			for _, f := range d.Fields {
				got[d.Name.Value] = append(got[d.Name.Value], f.Name.Value)
			}
		case *ast.InterfaceDefinition:
			for _, f := range d.Fields {
				got[d.Name.Value] = append(got[d.Name.Value], f.Name.Value)
			}
		case *ast.InputObjectDefinition:
			for _, f := range d.Fields {
				got[d.Name.Value] = append(got[d.Name.Value], f.Name.Value)
			}
		case *ast.EnumDefinition:
			for _, v := range d.Values {
				got[d.Name.Value] = append(got[d.Name.Value], v.Name.Value)
			}
		case *ast.UnionDefinition, *ast.ScalarDefinition, *ast.DirectiveDefinition:
		default:
			t.Errorf("unexpected definition %T", d)
		}
	}
	for name, typ := range s.TypeMap() {
		var fields []string
		switch typ := typ.(type) {
		case *graphql.Object:
			fields = keys(typ.Fields())
		case *graphql.Interface:
			fields = keys(typ.Fields())
		case *graphql.InputObject:
			fields = keys(typ.Fields())
		case *graphql.Enum:
			for _, v := range typ.Values() {
				fields = append(fields, v.Name)
			}
			sort.Strings(fields)
		default:
			continue
		}
		if strings.HasPrefix(name, "__") {
			continue
		}
		if !slices.Equal(got[name], fields) {
			t.Errorf("%s: printed %v, schema has %v", name, got[name], fields)
		}
	}
}

func TestPrint_applies_directives_skips_and_a_header(t *testing.T) {
	s := kitchenSink(t)
	got := sdl.Print(s, sdl.Options{
		Header: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])`,
		Directives: func(c string) []string {
			switch c {
			case "Patient":
				return []string{`@key(fields: "nhsNumber")`}
			case "Patient.age", "Query.search(limit:)", "Priority.URGENT", "Window.days":
				return []string{"@tag"}
			}
			return nil
		},
		Skip: func(c string) bool {
			return c == "Mutation" || c == "Query.node" || c == "Priority.ROUTINE" || c == "Filter.ratio" || c == "Referral" || c == "Query.priority"
		},
		NoDescriptions: true,
	})
	for _, part := range []string{
		"extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\"])\n\ndirective @audited",
		`type Patient implements Node @key(fields: "nhsNumber") {`,
		"  age: Int @deprecated @tag\n",
		"search(filter: Filter, limit: Int = 10 @tag): [SearchResult!]!",
		"  URGENT @tag\n",
		"  days: Int! = 30 @tag\n",
		"union SearchResult = Patient\n",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("missing %q in\n%s", part, got)
		}
	}
	for _, gone := range []string{"type Mutation", "node(", "  ROUTINE", "ratio:", "type Referral", "Keyed by", "priority("} {
		if strings.Contains(got, gone) {
			t.Errorf("%q printed in\n%s", gone, got)
		}
	}
}

func TestPrint_prints_a_schema_definition_for_unusual_root_names(t *testing.T) {
	root := graphql.NewObject(graphql.ObjectConfig{Name: "Root", Fields: graphql.Fields{"ok": {Type: graphql.Boolean}}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: root})
	if err != nil {
		t.Fatal(err)
	}
	want := "schema {\n  query: Root\n}\n\ntype Root {\n  ok: Boolean\n}\n"
	if got := sdl.Print(s, sdl.Options{}); got != want {
		t.Fatalf("got\n%s", got)
	}
}

func TestBlockString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", `"""plain"""`},
		{`ends with "quote"`, "\"\"\"\nends with \"quote\"\n\"\"\""},
		{`has """ inside`, `"""has \""" inside"""`},
		{"two\n\nlines", "  \"\"\"\n  two\n\n  lines\n  \"\"\""},
	} {
		indent := ""
		if strings.Contains(c.in, "\n") {
			indent = "  "
		}
		if got := sdl.BlockString(c.in, indent); got != c.want {
			t.Errorf("BlockString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
