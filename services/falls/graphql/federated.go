package graphql

import (
	"context"
	"fmt"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/federation"
	"carecoord/pkg/locality"
)

// timelineField is the name of Patient.timeline in the federated schema:
// falls' timeline holds only its own entries, so the gateway hides it
// (@inaccessible) and defines Patient.timeline by merging the services'.
const timelineField = "fallsTimeline"

// Federated is the falls subgraph as an Apollo Federation v2 subgraph: the
// root fields and mutations, and the entities Locality (key id), Patient
// (key nhsNumber) and LocalitySummary (key localityId) carrying falls'
// fields. Locality.summary and TimelineEntry are @shareable; Patient.timeline
// is Patient.fallsTimeline, @inaccessible. There is no Query.locality or
// Query.patient: a router reaches the entities through _entities. Reach is
// enforced by the field resolvers (the app layer), as in Schema.
func (s Subgraph) Federated() (graphql.Schema, error) {
	if s.t == nil {
		return graphql.Schema{}, fmt.Errorf("falls subgraph: Federated needs a Subgraph built by New")
	}
	q := s.t.app.Queries
	summary := federation.NewEntity(federation.EntityConfig{
		Object: localitySummaryConfig(),
		Key:    "localityId",
		Resolve: func(ctx context.Context, rep map[string]any) (any, error) {
			id, _ := rep["localityId"].(string)
			if _, ok := s.localities.Get(locality.ID(id)); !ok {
				return nil, nil
			}
			return summaryOf(q, id), nil
		},
	})
	locFields := with(graphql.Fields{"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID)}}, s.LocalityFields)
	sf := *locFields["summary"]
	sf.Type = nonNull(summary.Object())
	locFields["summary"] = &sf
	loc := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Locality", Description: "A locality and its integrated care team (key: id).", Fields: locFields},
		Key:    "id",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			id, _ := rep["id"].(string)
			if _, ok := s.localities.Get(locality.ID(id)); !ok {
				return nil, nil
			}
			return map[string]any{"id": id}, nil
		},
	})
	patFields := with(graphql.Fields{"nhsNumber": &graphql.Field{Type: graphql.NewNonNull(graphql.String)}}, s.PatientFields)
	patFields[timelineField] = patFields["timeline"]
	delete(patFields, "timeline")
	pat := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Patient", Description: "A patient, by NHS number (key: nhsNumber).", Fields: patFields},
		Key:    "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			n, ok := rep["nhsNumber"].(string)
			if !ok || n == "" {
				return nil, errs.Invalid("representations", "a Patient representation's nhsNumber is a string", "entity-key")
			}
			return map[string]any{"nhsNumber": n}, nil
		},
	})
	return federation.Subgraph(federation.Config{
		Query:      s.Query,
		Mutation:   s.Mutation,
		Entities:   []*federation.Entity{loc, pat, summary},
		Shareable:  []string{"TimelineEntry", "Locality.summary"},
		Directives: map[string][]string{"Patient." + timelineField: {"@inaccessible"}},
	})
}
