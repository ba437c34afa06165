package graphql_test

import (
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql/sdl"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/app"
	cgraphql "carecoord/services/caseload/graphql"
)

var update = flag.Bool("update", false, "rewrite testdata/caseload.graphql and testdata/caseload.federated.graphql from the code")

// The subgraph's contract is printed to testdata/caseload.graphql; a change
// to the code that changes the contract fails here until the file is
// regenerated (go test ./graphql -run TestSchema_printed -update), so it shows in
// review.
func TestSchema_printed_contract_matches_the_code(t *testing.T) {
	sg, err := cgraphql.New(&app.Application{}, locality.Default())
	if err != nil {
		t.Fatal(err)
	}
	s, err := sg.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got := sdl.Print(s, sdl.Options{})
	file := filepath.Join("testdata", "caseload.graphql")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("the schema differs from %s; run go test ./graphql -run TestSchema_printed -update and review the diff\n%s", file, got)
	}
}

// The names API.md promises are there.
func TestSchema_has_the_API_names(t *testing.T) {
	sg, err := cgraphql.New(&app.Application{}, locality.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"caseloadEpisode", "visitList", "keyworkerCaseload"} {
		if sg.Query[n] == nil {
			t.Errorf("Query.%s missing", n)
		}
	}
	for _, n := range []string{"assignKeyworker", "scheduleVisit", "recordVisitOutcome", "updateCarePlan", "recordMdtDiscussion", "transferEpisode", "dischargeFromCaseload"} {
		m := sg.Mutation[n]
		if m == nil {
			t.Errorf("Mutation.%s missing", n)
			continue
		}
		if m.Args["commandId"] == nil || m.Args["input"] == nil {
			t.Errorf("Mutation.%s does not take input and commandId", n)
		}
	}
	if sg.LocalityFields["caseload"] == nil || sg.LocalityFields["summary"] == nil || sg.LocalityFields["caseload"].Args["status"] == nil {
		t.Error("Locality.caseload(status:) or Locality.summary missing")
	}
	if sg.PatientFields["caseloadEpisodes"] == nil || sg.PatientFields["timeline"] == nil {
		t.Error("Patient.caseloadEpisodes or Patient.timeline missing")
	}
}

// Schemas built side by side (the gateway's parallel tests, a process
// hosting several) share this package's types; under -race this fails if
// graphql-go's lazy initialisation of them is left to run concurrently.
func TestSchema_can_be_built_and_served_concurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sg, err := cgraphql.New(&app.Application{}, locality.Default())
			if err != nil {
				t.Error(err)
				return
			}
			s, err := sg.Schema()
			if err != nil {
				t.Error(err)
				return
			}
			res := graphql.Do(graphql.Params{Schema: s, RequestString: `{ __type(name: "CaseloadEpisode") { fields { name type { name } } } }`})
			if len(res.Errors) > 0 {
				t.Error(res.Errors)
			}
		}()
	}
	wg.Wait()
}
