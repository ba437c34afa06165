package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/falls/app"
)

func (t *types) responderType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Responder",
		Description: "A falls responder unit and its state.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":             field(nonNull(graphql.ID), func(r app.ResponderView) any { return r.ID }),
				"callSign":       field(nonNull(graphql.String), func(r app.ResponderView) any { return r.CallSign }),
				"baseLocalityId": field(nonNull(graphql.ID), func(r app.ResponderView) any { return r.BaseLocality }),
				"level":          field(nonNull(levelEnum), func(r app.ResponderView) any { return string(r.Level) }),
				"status":         field(nonNull(responderStatusEnum), func(r app.ResponderView) any { return string(r.Status) }),
				"since":          field(graphql.String, func(r app.ResponderView) any { return gql.Time(r.Since) }),
				"demo":           field(nonNull(graphql.Boolean), func(r app.ResponderView) any { return r.Demo }),
				"incident": &graphql.Field{
					Type:        t.fallIncident,
					Description: "The incident the unit is committed to; null when none, or when it is outside your reach.",
					Resolve: func(p graphql.ResolveParams) (any, error) {
						r := p.Source.(app.ResponderView)
						if r.IncidentID == "" {
							return nil, nil
						}
						v, err := t.app.Queries.CommittedIncident(p.Context, r.IncidentID)
						if err != nil {
							return nil, nil
						}
						return v, nil
					},
				},
			}
		}),
	})
}
