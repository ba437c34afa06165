package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"

	"carecoord/services/beds/app"
	"carecoord/services/beds/readmodel"
)

// LocalitySummary is the beds service's counts for a locality; the gateway
// merges the services' summary fields into one LocalitySummary.
func localitySummaryType() *graphql.Object {
	return graphql.NewObject(localitySummaryConfig())
}

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity. Its value is a gql.Deferred:
// the counts identify no one, so every signed-in role sees them (checked
// when a count is asked for).
func localitySummaryConfig() graphql.ObjectConfig {
	count := func(desc string, read func(readmodel.LocalitySummary) any) *graphql.Field {
		return gql.DeferredField(nnInt, desc, read)
	}
	return graphql.ObjectConfig{
		Name: "LocalitySummary",
		Fields: graphql.Fields{
			"localityId": gql.DeferredKey[readmodel.LocalitySummary](nnID, ""),
			"bedsOccupied": count("The locality's patients in a community bed.",
				func(s readmodel.LocalitySummary) any { return s.BedsOccupied }),
			"bedsReserved": count("Community beds reserved for the locality's patients.",
				func(s readmodel.LocalitySummary) any { return s.BedsReserved }),
			"bedRequestsPending": count("The locality's bed requests waiting for a bed.",
				func(s readmodel.LocalitySummary) any { return s.BedRequestsPending }),
			"bedPatientsNoCriteriaToReside": count("The locality's patients in a bed with no criteria to reside (delayed discharges).",
				func(s readmodel.LocalitySummary) any { return s.NoCriteriaToReside }),
		},
	}
}

// summaryOf is a locality's LocalitySummary value. Locality.summary never
// refuses (a gateway may resolve it here for another service's counts):
// the counts are loaded, with the viewer's checks, when a field asks.
func summaryOf(q *app.Queries, localityID string) *gql.Deferred[readmodel.LocalitySummary] {
	return gql.Defer(localityID, func(ctx context.Context) (readmodel.LocalitySummary, error) {
		return q.LocalitySummary(ctx, localityID)
	})
}

// localityFields are the fields the beds service adds to Locality.
func localityFields(t *types) graphql.Fields {
	return graphql.Fields{
		"patientsInBeds": &graphql.Field{
			Type:        listOf(t.bedStay),
			Description: "The locality's patients in (or expected in) a community bed.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, err := localityID(p.Source)
				if err != nil {
					return nil, err
				}
				return t.app.Queries.PatientsInBeds(p.Context, id)
			}),
		},
		"summary": &graphql.Field{
			Type: graphql.NewNonNull(t.summary),
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, err := localityID(p.Source)
				if err != nil {
					return nil, err
				}
				return summaryOf(t.app.Queries, id), nil
			}),
		},
	}
}

func localityID(src any) (string, error) {
	id, ok := keyOf(src, "id")
	if !ok || id == "" {
		return "", errs.Internal("a locality field was resolved without the locality's id", nil)
	}
	return id, nil
}
