package graphql_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"carecoord/pkg/gql/sdl"
	"carecoord/services/falls/service"
)

var update = flag.Bool("update", false, "rewrite testdata/falls.graphql and testdata/falls.federated.graphql from the code")

// The standalone schema, printed, is checked in: a change to the falls
// contract shows in review as a change to testdata/falls.graphql.
func TestSchema_matches_the_printed_contract(t *testing.T) {
	svc := service.NewForTest(t)
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got := sdl.Print(schema, sdl.Options{})
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
