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

	"carecoord/pkg/locality"

	"carecoord/services/beds/app"
	bedsgraphql "carecoord/services/beds/graphql"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
)

var update = flag.Bool("update", false, "rewrite testdata/subgraph.graphql from the code")

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
	got := printSchema(schema)
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

// printSchema prints the schema's own types as SDL (graphql-go has no
// printer), sorted, without descriptions.
func printSchema(s graphql.Schema) string {
	var names []string
	for name := range s.TypeMap() {
		if !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	args := func(as []*graphql.Argument) string {
		if len(as) == 0 {
			return ""
		}
		var parts []string
		for _, a := range as {
			parts = append(parts, a.Name()+": "+a.Type.String())
		}
		sort.Strings(parts)
		return "(" + strings.Join(parts, ", ") + ")"
	}
	for _, name := range names {
		switch t := s.TypeMap()[name].(type) {
		case *graphql.Object:
			fmt.Fprintf(&b, "type %s {\n", name)
			fs := t.Fields()
			keys := make([]string, 0, len(fs))
			for k := range fs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "  %s%s: %s\n", k, args(fs[k].Args), fs[k].Type)
			}
			b.WriteString("}\n\n")
		case *graphql.InputObject:
			fmt.Fprintf(&b, "input %s {\n", name)
			fs := t.Fields()
			keys := make([]string, 0, len(fs))
			for k := range fs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "  %s: %s\n", k, fs[k].Type)
			}
			b.WriteString("}\n\n")
		case *graphql.Enum:
			fmt.Fprintf(&b, "enum %s {\n", name)
			var vs []string
			for _, v := range t.Values() {
				vs = append(vs, v.Name)
			}
			sort.Strings(vs)
			for _, v := range vs {
				fmt.Fprintf(&b, "  %s\n", v)
			}
			b.WriteString("}\n\n")
		}
	}
	return b.String()
}
