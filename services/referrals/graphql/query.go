package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
)

// queryFields are the service's root queries.
func (r *resolver) queryFields() graphql.Fields {
	return graphql.Fields{
		"referral": &graphql.Field{
			Type:        r.t.referral,
			Description: "A referral with its history. One outside your localities is NOT_FOUND.",
			Args:        graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return r.app.Queries.Referral.Handle(p.Context, p.Args["id"].(string))
			}),
		},
		"ucrPerformance": &graphql.Field{
			Type:        graphql.NewNonNull(r.t.performance),
			Description: "The UCR 2-hour measure of a locality, or of the whole system without localityId.",
			Args:        graphql.FieldConfigArgument{"localityId": {Type: graphql.ID}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, _ := p.Args["localityId"].(string)
				return r.app.Queries.Performance.Handle(p.Context, id)
			}),
		},
	}
}
