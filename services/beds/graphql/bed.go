package graphql

import (
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"

	"carecoord/services/beds/readmodel"
)

// Bed is one bed on the bed board.
func bedType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "Bed",
		Fields: graphql.Fields{
			"id":         field(nnID, func(b readmodel.Bed) any { return b.ID }),
			"label":      field(nnString, func(b readmodel.Bed) any { return b.Label }),
			"wardId":     field(nnID, func(b readmodel.Bed) any { return b.WardID }),
			"hospitalId": field(nnID, func(b readmodel.Bed) any { return b.HospitalID }),
			"sideRoom":   field(nnBoolean, func(b readmodel.Bed) any { return b.SideRoom }),
			"status":     field(graphql.NewNonNull(bedStatusEnum), func(b readmodel.Bed) any { return b.Status }),
			"hl7Status": &graphql.Field{Type: graphql.String, Description: "The HL7 v2 table 0116 code (null for RESERVED, which the table lacks).",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return optional(as[readmodel.Bed](p.Source).Status.HL7()), nil
				}},
			"since":              timeField(false, func(b readmodel.Bed) time.Time { return b.Since }),
			"closureReason":      field(bedClosureReasonEnum, func(b readmodel.Bed) any { return optEnum(b.ClosureReason) }),
			"closureNote":        field(graphql.String, func(b readmodel.Bed) any { return optional(b.ClosureNote) }),
			"awaitingCleanSince": timeField(false, func(b readmodel.Bed) time.Time { return b.DirtySince }),
			"awaitingCleanMinutes": &graphql.Field{Type: graphql.Int, Description: "Minutes the bed has waited for cleaning so far.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					b := as[readmodel.Bed](p.Source)
					if b.DirtySince.IsZero() {
						return nil, nil
					}
					return int(t.app.Queries.Now().Sub(b.DirtySince).Minutes()), nil
				}},
			"stay": &graphql.Field{Type: t.bedStay, Description: "The stay holding the bed (reserved or occupied), when you may see it.",
				Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
					return orNull(t.app.Queries.VisibleStay(p.Context, as[readmodel.Bed](p.Source).StayID))
				})},
		},
	})
}
