package graphqlapi

import (
	"context"
	"encoding/json"
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
