package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/beds/readmodel"
)

// CommunityHospital is a community hospital with its wards.
func hospitalType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "CommunityHospital",
		Description: "A community hospital of Staffordshire and Stoke-on-Trent.",
		Fields: graphql.Fields{
			"id":         field(nnID, func(h readmodel.Hospital) any { return h.ID }),
			"name":       field(nnString, func(h readmodel.Hospital) any { return h.Name }),
			"town":       field(nnString, func(h readmodel.Hospital) any { return h.Town }),
			"siteCode":   field(graphql.String, func(h readmodel.Hospital) any { return optional(h.SiteCode) }),
			"localityId": field(nnID, func(h readmodel.Hospital) any { return h.Locality }),
			"capacityIsDemo": &graphql.Field{Type: nnBoolean, Description: "True when ward names and bed counts are demo figures.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return as[readmodel.Hospital](p.Source).CapacityIsDemo, nil
				}},
			"wards":     field(listOf(t.ward), func(h readmodel.Hospital) any { return h.Wards }),
			"occupancy": field(graphql.NewNonNull(t.figures), func(h readmodel.Hospital) any { return h.Counts }),
		},
	})
}
