package graphql_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql/sdl"
	"carecoord/pkg/locality"

	"carecoord/services/beds/app"
	bedsgraphql "carecoord/services/beds/graphql"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
)

var update = flag.Bool("update", false, "rewrite testdata/subgraph.graphql and testdata/beds.federated.graphql from the code")

func subgraph() bedsgraphql.Subgraph {
	reg := hospitals.Default()
	a := app.New(app.Deps{Views: readmodel.New(reg), Hospitals: reg, Localities: locality.Default()})
	return bedsgraphql.New(a)
}

// The subgraph's contract is printed to testdata/subgraph.graphql; this test
// fails when the code and the file differ, so that every change to the
// contract shows in review. Run with -update to accept a change.
func TestSchema_matches_the_printed_contract(t *testing.T) {
	schema, err := subgraph().Schema()
	if err != nil {
		t.Fatal(err)
	}
	got := sdl.Print(schema, sdl.Options{})
	path := filepath.Join("testdata", "subgraph.graphql")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./services/beds/graphql -update)", err)
	}
	if string(want) != got {
		t.Fatalf("the schema differs from %s: run go test ./services/beds/graphql -update and review the diff", path)
	}
}

// The names API.md promises are there.
func TestSchema_has_the_API_names(t *testing.T) {
	sg := subgraph()
	for _, f := range []string{"communityHospitals", "bedBoard", "bedRequests"} {
		if sg.Query[f] == nil {
			t.Errorf("Query.%s missing", f)
		}
	}
	for _, f := range []string{"raiseBedRequest", "decideBedRequest", "allocateBed", "admitPatient", "transferPatient",
		"recordNoCriteriaToReside", "dischargePatient", "markBedClean", "closeBed", "reopenBed"} {
		m := sg.Mutation[f]
		if m == nil {
			t.Errorf("Mutation.%s missing", f)
			continue
		}
		if m.Args["commandId"] == nil || m.Args["input"] == nil {
			t.Errorf("Mutation.%s does not take input and commandId", f)
		}
	}
	if sg.LocalityFields["patientsInBeds"] == nil || sg.LocalityFields["summary"] == nil {
		t.Error("Locality fields missing")
	}
	if sg.PatientFields["bedStays"] == nil || sg.PatientFields["timeline"] == nil {
		t.Error("Patient fields missing")
	}
	entry := sg.PatientFields["timeline"].Type.(*graphql.NonNull).OfType.(*graphql.List).OfType.(*graphql.NonNull).OfType.(*graphql.Object)
	var fields []string
	for name := range entry.Fields() {
		fields = append(fields, name)
	}
	sort.Strings(fields)
	if entry.Name() != "TimelineEntry" || strings.Join(fields, " ") != "at refId service summary type" {
		t.Errorf("timeline entries are %s {%v}: the gateway merges exactly TimelineEntry {at service type summary refId}", entry.Name(), fields)
	}
}
