package graphql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carecoord/pkg/federation"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/app"
	refgraphql "carecoord/services/referrals/graphql"
)

// The federated schema, printed as the router reads it (_service.sdl), is
// checked in next to the standalone one; e2e composes the four services'.
func TestFederated_matches_the_printed_contract(t *testing.T) {
	sg := refgraphql.New(app.New(nil, nil, locality.Default(), nil), locality.Default())
	schema, err := sg.Federated()
	if err != nil {
		t.Fatal(err)
	}
	got, err := federation.SDL(schema)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "referrals.federated.graphql")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if string(want) != got {
		t.Fatalf("the federated subgraph changed: review it and run go test ./services/referrals/graphql -update\n%s", got)
	}
	for _, s := range []string{
		`type Locality @key(fields: "id")`,
		`type Patient @key(fields: "nhsNumber")`,
		`type LocalitySummary @key(fields: "localityId")`,
		`type TimelineEntry @shareable`,
		`referralsTimeline: [TimelineEntry!]! @inaccessible`,
		`summary: LocalitySummary! @shareable`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("the federated SDL lacks %q", s)
		}
	}
	if q := schema.QueryType().Fields(); q["locality"] != nil || q["patient"] != nil || q["_entities"] == nil {
		t.Error("Query.locality and Query.patient belong to the standalone schema only; _entities to the federated one")
	}
	// The standalone schema is unaffected by building the federated one.
	if _, err := sg.Schema(); err != nil {
		t.Fatal(err)
	}
}
