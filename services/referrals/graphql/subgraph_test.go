package graphql_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql/sdl"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/app"
	refgraphql "carecoord/services/referrals/graphql"
)

var update = flag.Bool("update", false, "rewrite testdata/referrals.graphql and testdata/referrals.federated.graphql from the code")

func schema(t *testing.T) (refgraphql.Subgraph, graphql.Schema) {
	t.Helper()
	sg := refgraphql.New(app.New(nil, nil, locality.Default(), nil), locality.Default())
	s, err := sg.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return sg, s
}

func TestSchema_matches_the_printed_contract(t *testing.T) {
	_, s := schema(t)
	got := sdl.Print(s, sdl.Options{})
	path := filepath.Join("testdata", "referrals.graphql")
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
		t.Fatalf("the subgraph changed: review it and run go test ./services/referrals/graphql -update\n%s", got)
	}
}

func TestSubgraph_names_follow_the_API_contract(t *testing.T) {
	sg, s := schema(t)
	for _, f := range []string{"referral", "ucrPerformance"} {
		if sg.Query[f] == nil {
			t.Errorf("query %s missing", f)
		}
	}
	for _, f := range []string{"receiveReferral", "triageReferral", "allocateReferral", "recordFirstContact", "withdrawReferral"} {
		m := sg.Mutation[f]
		if m == nil {
			t.Errorf("mutation %s missing", f)
			continue
		}
		var args []string
		for name := range m.Args {
			args = append(args, name)
		}
		sort.Strings(args)
		if !slices.Equal(args, []string{"commandId", "input"}) {
			t.Errorf("%s takes %v", f, args)
		}
	}
	for _, f := range []string{"referrals", "summary"} {
		if sg.LocalityFields[f] == nil {
			t.Errorf("Locality.%s missing", f)
		}
	}
	for _, f := range []string{"referrals", "timeline", "name", "dateOfBirth", "locality"} {
		if sg.PatientFields[f] == nil {
			t.Errorf("Patient.%s missing", f)
		}
	}
	// TimelineEntry is shared by every subgraph: exactly these fields.
	te := s.Type("TimelineEntry").(*graphql.Object).Fields()
	want := map[string]string{"at": "String!", "service": "String!", "type": "String!", "summary": "String!", "refId": "ID"}
	if len(te) != len(want) {
		t.Fatalf("TimelineEntry has %d fields", len(te))
	}
	for f, typ := range want {
		if te[f] == nil || te[f].Type.String() != typ {
			t.Errorf("TimelineEntry.%s", f)
		}
	}
	if s.Type("LocalitySummary").(*graphql.Object).Fields()["localityId"].Type.String() != "ID!" {
		t.Error("LocalitySummary.localityId")
	}
}

func TestEntitySources_are_read_from_maps_strings_and_structs(t *testing.T) {
	type loc struct{ ID string }
	type tagged struct {
		Key string `json:"nhsNumber"`
	}
	cases := []struct {
		got, want string
	}{
		{refgraphql.LocalityID(map[string]any{"id": "leek"}), "leek"},
		{refgraphql.LocalityID(map[string]string{"id": "leek"}), "leek"},
		{refgraphql.LocalityID("leek"), "leek"},
		{refgraphql.LocalityID(loc{ID: "leek"}), "leek"},
		{refgraphql.LocalityID(&loc{ID: "leek"}), "leek"},
		{refgraphql.NHSNumber(tagged{Key: "9434765919"}), "9434765919"},
		{refgraphql.NHSNumber(map[string]any{"nhsNumber": "9434765919"}), "9434765919"},
		{refgraphql.NHSNumber(map[string]any{}), ""},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
}
