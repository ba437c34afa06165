package graphql_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/services/falls/service"
)

var update = flag.Bool("update", false, "rewrite testdata/falls.graphql from the code")

// The standalone schema, printed, is checked in: a change to the falls
// contract shows in review as a change to testdata/falls.graphql.
func TestSchema_matches_the_printed_contract(t *testing.T) {
	svc := service.NewForTest(t)
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got := printSchema(schema)
	path := filepath.Join("testdata", "falls.graphql")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./services/falls/graphql -update)", err)
	}
	if got != string(want) {
		t.Fatalf("the schema differs from %s: run go test ./services/falls/graphql -update and review the diff", path)
	}
	for _, name := range []string{"fallIncident", "fallsQueue", "responders"} {
		if schema.QueryType().Fields()[name] == nil {
			t.Errorf("query %s missing (API.md)", name)
		}
	}
	for _, name := range []string{"reportFall", "triageFall", "escalateFallTo999", "dispatchResponder", "responderEnRoute", "responderOnScene", "recordFallOutcome", "closeFall", "setResponderStatus", "linkFallPatient"} {
		f := schema.MutationType().Fields()[name]
		if f == nil {
			t.Errorf("mutation %s missing (API.md)", name)
			continue
		}
		if len(f.Args) != 2 || (f.Args[0].Name() != "input" && f.Args[1].Name() != "input") {
			t.Errorf("mutation %s does not take input and commandId", name)
		}
	}
}

// printSchema writes SDL for the schema's own types (graphql-go has no
// printer), sorted by name so that it is stable.
func printSchema(s graphql.Schema) string {
	var names []string
	for name := range s.TypeMap() {
		if strings.HasPrefix(name, "__") || isBuiltin(name) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		switch t := s.TypeMap()[name].(type) {
		case *graphql.Enum:
			fmt.Fprintf(&b, "enum %s {\n", name)
			vals := t.Values()
			sort.Slice(vals, func(i, j int) bool { return vals[i].Name < vals[j].Name })
			for _, v := range vals {
				fmt.Fprintf(&b, "  %s\n", v.Name)
			}
		case *graphql.InputObject:
			fmt.Fprintf(&b, "input %s {\n", name)
			fields := t.Fields()
			for _, f := range sortedKeys(fields) {
				fmt.Fprintf(&b, "  %s: %s\n", f, fields[f].Type)
			}
		case *graphql.Object:
			fmt.Fprintf(&b, "type %s {\n", name)
			fields := t.Fields()
			for _, f := range sortedKeys(fields) {
				var args []string
				for _, a := range fields[f].Args {
					args = append(args, fmt.Sprintf("%s: %s", a.Name(), a.Type))
				}
				sig := f
				sort.Strings(args)
				if len(args) > 0 {
					sig += "(" + strings.Join(args, ", ") + ")"
				}
				fmt.Fprintf(&b, "  %s: %s\n", sig, fields[f].Type)
			}
		default:
			continue
		}
		b.WriteString("}\n\n")
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isBuiltin(name string) bool {
	switch name {
	case "String", "Int", "Float", "Boolean", "ID":
		return true
	}
	return false
}
