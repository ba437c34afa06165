package querylimit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"

	"carecoord/pkg/querylimit"
)

// schema is a small slice of carecoord's: localities with lists of
// referrals, patients that lead back to their locality, and an interface.
func schema(t *testing.T) *graphql.Schema {
	t.Helper()
	node := graphql.NewInterface(graphql.InterfaceConfig{Name: "Node", Fields: graphql.Fields{"id": {Type: graphql.ID}},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return nil }})
	var locality, referral *graphql.Object
	referral = graphql.NewObject(graphql.ObjectConfig{Name: "Referral", Interfaces: []*graphql.Interface{node},
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{"id": {Type: graphql.ID}, "locality": {Type: locality}}
		})})
	locality = graphql.NewObject(graphql.ObjectConfig{Name: "Locality", Interfaces: []*graphql.Interface{node},
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":   {Type: graphql.ID},
				"name": {Type: graphql.String},
				"referrals": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(referral))),
					Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}}},
			}
		})})
	s, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"localities": {Type: graphql.NewList(locality), Args: graphql.FieldConfigArgument{"limit": {Type: graphql.Int}}},
			"locality":   {Type: locality, Args: graphql.FieldConfigArgument{"id": {Type: graphql.ID}}},
			"node":       {Type: node},
		}}),
		Types: []graphql.Type{referral},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

func parse(t *testing.T, query string) (*ast.Document, *ast.OperationDefinition) {
	t.Helper()
	doc, err := parser.Parse(parser.ParseParams{Source: query})
	if err != nil {
		t.Fatal(err)
	}
	return doc, querylimit.Operations(doc)[0]
}

func TestDepth(t *testing.T) {
	for query, want := range map[string]int{
		`{ a }`:                          1,
		`{ a { b { c } } d }`:            3,
		`{ a { ... on T { b { c } } } }`: 3,
		`{ a { ...F } } fragment F on T { b { ...G } } fragment G on T { c { d } }`: 4,
		`{ __schema { types { fields { type { ofType { name } } } } } }`:            1,
		`{ a { ...F } } fragment F on T { b { ...F } }`:                             2, // a cycle: measured, not followed
		`{ a { ...Missing } }`: 1,
	} {
		doc, op := parse(t, query)
		if got := querylimit.Depth(doc, op); got != want {
			t.Errorf("Depth(%s) = %d, want %d", query, got, want)
		}
	}
}

func TestIntrospectionDepth(t *testing.T) {
	for query, want := range map[string]int{
		`{ fields { fields { fields { a } } } }`:                                                                                            0, // not introspection
		`{ __schema { types { name fields { name type { name } } interfaces { name } } } }`:                                                 1,
		`{ __type(name: "X") { fields { type { fields { type { interfaces { name } } } } } } }`:                                             3,
		`{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...U } } } fragment U on __Type { possibleTypes { name } }`: 2,
	} {
		doc, op := parse(t, query)
		if got := querylimit.IntrospectionDepth(doc, op); got != want {
			t.Errorf("IntrospectionDepth(%s) = %d, want %d", query, got, want)
		}
	}
}

func TestCost(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		query     string
		vars      map[string]any
		want      int
		readsVars bool
	}{
		// The example of the package comment.
		{`{ localities { name referrals { id } } }`, nil, 121, false},
		{`{ localities(limit: 3) { referrals(first: 2) { id locality { name } } } }`, nil, 1 + 3*(1+2*(1+2)), false},
		{`{ locality(id: "x") { name __typename } }`, nil, 3, false},
		{`{ node { id ... on Locality { referrals { id } } } }`, nil, 1 + 1 + 1 + 10, false},
		{`{ localities { ...L } } fragment L on Locality { referrals { ...R } } fragment R on Referral { id }`, nil, 1 + 10*(1+10), false},
		{`query($n: Int) { localities(limit: $n) { id } }`, map[string]any{"n": float64(4)}, 5, true},
		{`query($n: Int = 7) { localities(limit: $n) { id } }`, nil, 8, true},
		{`query($n: Int) { localities(limit: $n) { id } }`, nil, 11, true},
		{`{ localities(limit: 0) { id } }`, nil, 1, false},
		{`{ localities(limit: 99999999999999999999) { referrals(first: 99999999999) { id } } }`, nil, 1 << 31, false},
		// Introspection: 1 a field, no multiplier.
		{`{ __schema { types { name fields { name } } } }`, nil, 5, false},
	} {
		doc, op := parse(t, tc.query)
		got, readsVars := querylimit.Cost(s, doc, op, tc.vars, 10)
		if tc.want == 1<<31 {
			if got < 1<<30 {
				t.Errorf("Cost(%s) = %d, want saturated", tc.query, got)
			}
			continue
		}
		if got != tc.want || readsVars != tc.readsVars {
			t.Errorf("Cost(%s, %v) = %d, %v; want %d, %v", tc.query, tc.vars, got, readsVars, tc.want, tc.readsVars)
		}
	}
}

// A document whose fragments each spread the next one twice expands to 2^n
// fields; the measures must not walk that expansion.
func TestMeasures_do_not_expand_fragments_exponentially(t *testing.T) {
	const n = 40
	var b strings.Builder
	b.WriteString("{ localities { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Locality { referrals { locality { ...F%d } } referrals { locality { ...F%d } } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Locality { name }\n", n)
	doc, op := parse(t, b.String())
	start := time.Now()
	depth := querylimit.Depth(doc, op)
	cost, _ := querylimit.Cost(schema(t), doc, op, nil, 10)
	if took := time.Since(start); took > time.Second {
		t.Errorf("measuring took %s", took)
	}
	if depth != 2*n+2 || cost < 1<<30 {
		t.Errorf("depth %d, cost %d; want %d and saturated", depth, cost, 2*n+2)
	}
}

func TestFields_counts_selections_as_written(t *testing.T) {
	doc, _ := parse(t, `query A { a { b c } ...F } query B { d } fragment F on T { e { ... on U { f } } }`)
	if got := querylimit.Fields(doc); got != 6 {
		t.Errorf("Fields = %d, want 6", got)
	}
}

func TestRepeats_merges_selection_sets_as_validation_does(t *testing.T) {
	for _, tc := range []struct {
		query  string
		name   string
		count  int
		within bool
	}{
		{`{ a b c }`, "a", 1, true},
		{`{ a x: b x: c }`, "x", 2, true},
		// Sub-selections of same-named fields merge.
		{`{ a { id } a { id id name } }`, "id", 3, true},
		// Fragments join the set they are spread in, once each.
		{`{ id ...F ...F ...G } fragment F on T { id } fragment G on T { id ...F }`, "id", 3, true},
		{`{ a { ...F } } fragment F on T { b { ...F } }`, "a", 1, true}, // a cycle is not followed
		{`{ ` + strings.Repeat("a ", 20) + `}`, "a", 20, true},
		{`{ ` + strings.Repeat("a ", 20) + `}`, "a", 20, false}, // over a budget of 10
	} {
		doc, _ := parse(t, tc.query)
		budget := 1000
		if !tc.within {
			budget = 10
		}
		name, count, within := querylimit.Repeats(doc, budget)
		if within != tc.within || (within && (name != tc.name || count != tc.count)) {
			t.Errorf("Repeats(%s) = %q %d %v, want %q %d %v", tc.query, name, count, within, tc.name, tc.count, tc.within)
		}
	}
}
