package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/beds/readmodel"
)

// Ward is a ward with its beds.
func wardType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "Ward",
		Fields: graphql.Fields{
			"id":         field(nnID, func(w readmodel.Ward) any { return w.ID }),
			"name":       field(nnString, func(w readmodel.Ward) any { return w.Name }),
			"hospitalId": field(nnID, func(w readmodel.Ward) any { return w.HospitalID }),
			"beds":       field(listOf(t.bed), func(w readmodel.Ward) any { return w.Beds }),
			"occupancy":  field(graphql.NewNonNull(t.figures), func(w readmodel.Ward) any { return w.Counts }),
		},
	})
}
