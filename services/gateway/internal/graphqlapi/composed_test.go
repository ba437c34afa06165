package graphqlapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"carecoord/pkg/supergraph"
)

// fakeTimeline answers _entities with fixed <name>Timeline entries.
type fakeTimeline struct {
	name string
	ats  []string
}

func (f fakeTimeline) Name() string { return f.name }

func (f fakeTimeline) Do(_ context.Context, q string, _ map[string]any) (map[string]any, []supergraph.GraphQLError, error) {
	var list []any
	for _, at := range f.ats {
		list = append(list, map[string]any{"at": at, "service": f.name, "type": "E", "summary": "", "refId": nil})
	}
	if !strings.Contains(q, f.name+"Timeline") {
		return nil, []supergraph.GraphQLError{{Message: "wrong field"}}, nil
	}
	return map[string]any{"_entities": []any{map[string]any{f.name + "Timeline": list}}}, nil, nil
}

func TestTimeline_merges_in_time_order_causes_first(t *testing.T) {
	subs := map[string]supergraph.Subgraph{}
	for _, f := range []fakeTimeline{
		{"caseload", []string{"2026-01-01T10:00:00Z"}},
		{"referrals", []string{"2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z"}},
		{"beds", []string{"2026-01-01T10:00:00.5Z"}},
		{"falls", []string{"2026-01-01T10:00:00Z"}},
	} {
		subs[f.name] = f
	}
	got, err := timeline(context.Background(), subs, "9434765919")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range got {
		m := e.(map[string]any)
		order = append(order, m["service"].(string)+"@"+m["at"].(string)[11:])
	}
	b, _ := json.Marshal(order)
	want := `["referrals@09:00:00Z","falls@10:00:00Z","referrals@10:00:00Z","caseload@10:00:00Z","beds@10:00:00.5Z"]`
	if string(b) != want {
		t.Errorf("timeline %s\nwant     %s", b, want)
	}
}

// failingTimeline answers _entities with an error of a code, or fails to
// answer at all (code "").
type failingTimeline struct{ name, code string }

func (f failingTimeline) Name() string { return f.name }

func (f failingTimeline) Do(context.Context, string, map[string]any) (map[string]any, []supergraph.GraphQLError, error) {
	if f.code == "" {
		return nil, nil, errors.New("connection refused")
	}
	return map[string]any{"_entities": []any{nil}}, []supergraph.GraphQLError{{Message: f.name + " says " + f.code, Extensions: map[string]any{"code": f.code}}}, nil
}

// A bed manager may see the beds service's entries, not the referrals':
// the timeline holds what each service shows the viewer; only when every
// service refuses is it FORBIDDEN, and any other failure still fails it.
func TestTimeline_merges_the_services_that_answer_and_skips_those_that_refuse(t *testing.T) {
	services := func(subs ...supergraph.Subgraph) map[string]supergraph.Subgraph {
		m := map[string]supergraph.Subgraph{}
		for _, s := range subs {
			m[s.Name()] = s
		}
		return m
	}
	got, err := timeline(context.Background(), services(
		failingTimeline{"referrals", "FORBIDDEN"},
		failingTimeline{"caseload", "FORBIDDEN"},
		fakeTimeline{"beds", []string{"2026-01-01T11:00:00Z", "2026-01-01T10:00:00Z"}},
		fakeTimeline{"falls", nil}, // hides what the viewer may not see
	), "9434765919")
	if err != nil || len(got) != 2 || got[0].(map[string]any)["at"] != "2026-01-01T10:00:00Z" {
		t.Fatalf("timeline %v, %v: want the beds entries in time order", got, err)
	}

	_, err = timeline(context.Background(), services(
		failingTimeline{"referrals", "FORBIDDEN"}, failingTimeline{"caseload", "FORBIDDEN"},
		failingTimeline{"beds", "FORBIDDEN"}, failingTimeline{"falls", "FORBIDDEN"},
	), "9434765919")
	var ge interface{ Extensions() map[string]any }
	if !errors.As(err, &ge) || ge.Extensions()["code"] != "FORBIDDEN" {
		t.Fatalf("every service refused: %v, want FORBIDDEN", err)
	}

	for _, broken := range []failingTimeline{{"beds", "INTERNAL"}, {"beds", "UNAUTHENTICATED"}, {"beds", ""}} {
		_, err := timeline(context.Background(), services(
			failingTimeline{"referrals", "FORBIDDEN"}, fakeTimeline{"falls", []string{"2026-01-01T10:00:00Z"}}, broken,
		), "9434765919")
		if err == nil {
			t.Fatalf("beds failing with %q: the timeline answered without its entries", broken.code)
		}
		if broken.code != "" && (!errors.As(err, &ge) || ge.Extensions()["code"] != broken.code) {
			t.Fatalf("beds failing with %q: got %v", broken.code, err)
		}
	}
}
