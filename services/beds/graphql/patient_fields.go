package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
)

// patientFields are the fields the beds service adds to Patient.
func patientFields(t *types) graphql.Fields {
	return graphql.Fields{
		"bedStays": &graphql.Field{
			Type:        listOf(t.bedStay),
			Description: "The patient's stays in community beds that you may see, oldest first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				n, err := nhsNumber(p.Source)
				if err != nil {
					return nil, err
				}
				return t.app.Queries.BedStaysOf(p.Context, n)
			}),
		},
		"bedRequests": &graphql.Field{
			Type:        listOf(t.bedRequest),
			Description: "The patient's bed requests that you may see.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				n, err := nhsNumber(p.Source)
				if err != nil {
					return nil, err
				}
				return t.app.Queries.BedRequestsOf(p.Context, n)
			}),
		},
		"timeline": &graphql.Field{
			Type:        listOf(t.timelineEntry),
			Description: "The beds service's entries of the patient's timeline, in time order.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				n, err := nhsNumber(p.Source)
				if err != nil {
					return nil, err
				}
				return t.app.Queries.Timeline(p.Context, n)
			}),
		},
	}
}

func nhsNumber(src any) (string, error) {
	n, ok := keyOf(src, "nhsNumber")
	if !ok || n == "" {
		return "", errs.Internal("a patient field was resolved without the patient's NHS number", nil)
	}
	return n, nil
}
