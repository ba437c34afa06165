package graphql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carecoord/pkg/federation"
	"carecoord/services/falls/service"
)

// The federated schema, printed as the router reads it (_service.sdl), is
// checked in next to the standalone one; e2e composes the four services'.
func TestFederated_matches_the_printed_contract(t *testing.T) {
	svc := service.NewForTest(t)
	schema, err := svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	got, err := federation.SDL(schema)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "falls.federated.graphql")
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
		t.Fatalf("the federated schema differs from %s: run go test ./services/falls/graphql -update and review the diff", path)
	}
	for _, s := range []string{
		`type Locality @key(fields: "id")`,
		`type Patient @key(fields: "nhsNumber")`,
		`type LocalitySummary @key(fields: "localityId")`,
		`type TimelineEntry @shareable`,
		`fallsTimeline: [TimelineEntry!]! @inaccessible`,
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
