package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/federation"
	"carecoord/pkg/locality"
)

// timelineField is the name of Patient.timeline in the federated schema:
// the referrals timeline holds only this service's entries, so the gateway
// hides it (@inaccessible) and defines Patient.timeline by merging the
// services'.
const timelineField = "referralsTimeline"

// Federated is the referrals service as an Apollo Federation v2 subgraph:
// the root fields and mutations, and the entities Locality (key id),
// Patient (key nhsNumber) and LocalitySummary (key localityId) carrying
// this service's fields. Locality.summary and TimelineEntry are @shareable;
// Patient.timeline is Patient.referralsTimeline, @inaccessible. There is no
// Query.locality or Query.patient: a router reaches the entities through
// _entities. Reach is enforced by the field resolvers (the app layer), as in
// Schema.
//
// Referral refers to Locality and Patient, so the federated schema has its
// own set of types, built here over the entity types (a schema cannot hold
// two types of one name).
func (s Subgraph) Federated() (graphql.Schema, error) {
	r := &resolver{app: s.app}
	// Filled in once the types exist: the entities' fields are thunks.
	var locFields, patFields graphql.Fields
	loc := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{
			Name:        "Locality",
			Description: "A locality and its integrated care team (key: id).",
			Fields: graphql.FieldsThunk(func() graphql.Fields {
				f := graphql.Fields{"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return LocalityID(p.Source), nil }}}
				for k, v := range locFields {
					f[k] = v
				}
				return f
			}),
		},
		Key: "id",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			id, _ := rep["id"].(string)
			if _, ok := s.localities.Get(locality.ID(id)); !ok {
				return nil, nil
			}
			return EntityKey("id", id), nil
		},
	})
	pat := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{
			Name:        "Patient",
			Description: "A patient, by NHS number (key: nhsNumber).",
			Fields: graphql.FieldsThunk(func() graphql.Fields {
				f := graphql.Fields{"nhsNumber": &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return NHSNumber(p.Source), nil }}}
				for k, v := range patFields {
					if k == "timeline" {
						k = timelineField
					}
					f[k] = v
				}
				return f
			}),
		},
		Key: "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			n, ok := rep["nhsNumber"].(string)
			if !ok || n == "" {
				return nil, errs.Invalid("representations", "a Patient representation's nhsNumber is a string", "entity-key")
			}
			return EntityKey("nhsNumber", n), nil
		},
	})
	r.t = newTypes(r, loc.Object(), pat.Object())
	summaryEntity := federation.NewEntity(federation.EntityConfig{
		Object: localitySummaryConfig(r.t),
		Key:    "localityId",
		Resolve: func(ctx context.Context, rep map[string]any) (any, error) {
			id, _ := rep["localityId"].(string)
			if _, ok := s.localities.Get(locality.ID(id)); !ok {
				return nil, nil
			}
			return r.summaryOf(id), nil
		},
	})
	r.t.summary = summaryEntity.Object() // Locality.summary returns the entity
	locFields, patFields = r.localityFields(), r.patientFields()
	return federation.Subgraph(federation.Config{
		Query:      r.queryFields(),
		Mutation:   r.mutationFields(),
		Entities:   []*federation.Entity{loc, pat, summaryEntity},
		Shareable:  []string{"TimelineEntry", "Locality.summary"},
		Directives: map[string][]string{"Patient." + timelineField: {"@inaccessible"}},
	})
}
