package graphql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carecoord/pkg/federation"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/app"
	cgraphql "carecoord/services/caseload/graphql"
)

// The federated schema, printed as the router reads it (_service.sdl), is
// checked in next to the standalone one (go test ./graphql -run
// TestFederated -update); e2e composes the four services'.
func TestFederated_printed_contract_matches_the_code(t *testing.T) {
	sg, err := cgraphql.New(&app.Application{}, locality.Default())
	if err != nil {
		t.Fatal(err)
	}
	schema, err := sg.Federated()
	if err != nil {
		t.Fatal(err)
	}
	got, err := federation.SDL(schema)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "caseload.federated.graphql")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("the federated schema differs from %s: run go test ./graphql -run TestFederated -update and review the diff", file)
	}
	for _, s := range []string{
		`type Locality @key(fields: "id")`,
		`type Patient @key(fields: "nhsNumber")`,
		`type LocalitySummary @key(fields: "localityId")`,
		`type TimelineEntry @shareable`,
		`caseloadTimeline: [TimelineEntry!]! @inaccessible`,
		`summary: LocalitySummary! @shareable`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("the federated SDL lacks %q", s)
		}
	}
	if q := schema.QueryType().Fields(); q["locality"] != nil || q["patient"] != nil || q["_entities"] == nil {
		t.Error("Query.locality and Query.patient belong to the standalone schema only; _entities to the federated one")
	}
}
