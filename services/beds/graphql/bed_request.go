package graphql

import (
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/services/beds/readmodel"
)

// BedRequest is a request for a community bed.
func bedRequestType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "BedRequest",
		Description: "A request for a community bed: step-up from the community or step-down from an acute hospital.",
		Fields: graphql.Fields{
			"id":                  field(nnID, func(r readmodel.Request) any { return r.ID }),
			"type":                field(graphql.NewNonNull(bedRequestTypeEnum), func(r readmodel.Request) any { return r.Type }),
			"source":              field(graphql.NewNonNull(bedRequestSourceEnum), func(r readmodel.Request) any { return r.Source }),
			"priority":            field(graphql.NewNonNull(bedRequestPriorityEnum), func(r readmodel.Request) any { return r.Priority }),
			"status":              field(graphql.NewNonNull(bedRequestStatusEnum), func(r readmodel.Request) any { return r.Status }),
			"clinicalNeed":        field(nnString, func(r readmodel.Request) any { return r.ClinicalNeed }),
			"patient":             field(graphql.NewNonNull(t.patient), func(r readmodel.Request) any { return r.Patient }),
			"localityId":          field(nnID, func(r readmodel.Request) any { return r.Locality }),
			"preferredHospitalId": field(graphql.ID, func(r readmodel.Request) any { return optional(r.PreferredHospitalID) }),
			"sourceRef":           field(graphql.String, func(r readmodel.Request) any { return optional(r.SourceRef) }),
			"raisedAt":            timeField(true, func(r readmodel.Request) time.Time { return r.RaisedAt }),
			"raisedBy":            field(nnString, func(r readmodel.Request) any { return r.RaisedBy }),
			"ageMinutes": &graphql.Field{Type: nnInt, Description: "Minutes since the request was raised.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return int(t.app.Queries.Now().Sub(as[readmodel.Request](p.Source).RaisedAt).Minutes()), nil
				}},
			"decidedAt":     timeField(false, func(r readmodel.Request) time.Time { return r.DecidedAt }),
			"declineReason": field(graphql.String, func(r readmodel.Request) any { return optional(r.DeclineReason) }),
			"stayId":        field(graphql.ID, func(r readmodel.Request) any { return optional(r.StayID) }),
			"bedId":         field(graphql.ID, func(r readmodel.Request) any { return optional(r.BedID) }),
			"allocatedAt":   timeField(false, func(r readmodel.Request) time.Time { return r.AllocatedAt }),
		},
	})
}
