package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"

	"carecoord/services/beds/readmodel"
)

// LocalitySummary is the beds service's counts for a locality; the gateway
// merges the services' summary fields into one LocalitySummary.
func localitySummaryType() *graphql.Object {
	return graphql.NewObject(localitySummaryConfig())
}

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity.
func localitySummaryConfig() graphql.ObjectConfig {
	return graphql.ObjectConfig{
		Name: "LocalitySummary",
		Fields: graphql.Fields{
			"localityId": field(nnID, func(s readmodel.LocalitySummary) any { return s.LocalityID }),
			"bedsOccupied": &graphql.Field{Type: nnInt, Description: "The locality's patients in a community bed.", Resolve: func(p graphql.ResolveParams) (any, error) {
				return as[readmodel.LocalitySummary](p.Source).BedsOccupied, nil
			}},
			"bedsReserved": &graphql.Field{Type: nnInt, Description: "Community beds reserved for the locality's patients.", Resolve: func(p graphql.ResolveParams) (any, error) {
				return as[readmodel.LocalitySummary](p.Source).BedsReserved, nil
			}},
			"bedRequestsPending": &graphql.Field{Type: nnInt, Description: "The locality's bed requests waiting for a bed.", Resolve: func(p graphql.ResolveParams) (any, error) {
				return as[readmodel.LocalitySummary](p.Source).BedRequestsPending, nil
			}},
			"bedPatientsNoCriteriaToReside": &graphql.Field{Type: nnInt, Description: "The locality's patients in a bed with no criteria to reside (delayed discharges).",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return as[readmodel.LocalitySummary](p.Source).NoCriteriaToReside, nil
				}},
		},
	}
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
				return t.app.Queries.LocalitySummary(p.Context, id)
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
