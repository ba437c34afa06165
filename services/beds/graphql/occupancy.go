package graphql

import (
	"math"

	"github.com/graphql-go/graphql"

	"carecoord/services/beds/readmodel"
)

// BedOccupancyFigures counts the beds of a ward, a hospital or the estate.
func occupancyFiguresType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "BedOccupancyFigures",
		Description: "Beds by state. Occupancy is occupied beds as a share of open beds (closed, contaminated and isolated beds are out of the bed base).",
		Fields: graphql.Fields{
			"total":         field(nnInt, func(c readmodel.Counts) any { return c.Total }),
			"open":          field(nnInt, func(c readmodel.Counts) any { return c.Open() }),
			"available":     field(nnInt, func(c readmodel.Counts) any { return c.Available }),
			"reserved":      field(nnInt, func(c readmodel.Counts) any { return c.Reserved }),
			"occupied":      field(nnInt, func(c readmodel.Counts) any { return c.Occupied }),
			"awaitingClean": field(nnInt, func(c readmodel.Counts) any { return c.AwaitingClean }),
			"closed":        field(nnInt, func(c readmodel.Counts) any { return c.Closed }),
			"contaminated":  field(nnInt, func(c readmodel.Counts) any { return c.Contaminated }),
			"isolated":      field(nnInt, func(c readmodel.Counts) any { return c.Isolated }),
			"occupancyPercent": field(nnFloat, func(c readmodel.Counts) any {
				return math.Round(c.OccupancyPercent()*10) / 10
			}),
		},
	})
}

// HospitalOccupancy is one hospital's figures.
func hospitalOccupancyType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "HospitalOccupancy",
		Fields: graphql.Fields{
			"hospitalId": field(nnID, func(h readmodel.HospitalCounts) any { return h.HospitalID }),
			"figures":    field(graphql.NewNonNull(t.figures), func(h readmodel.HospitalCounts) any { return h.Counts }),
		},
	})
}

// BedOccupancy is the estate's figures, overall and per hospital.
func bedOccupancyType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "BedOccupancy",
		Fields: graphql.Fields{
			"overall":   field(graphql.NewNonNull(t.figures), func(o readmodel.Occupancy) any { return o.Overall }),
			"hospitals": field(listOf(t.hospitalOccupancy), func(o readmodel.Occupancy) any { return o.Hospitals }),
		},
	})
}

// BedCleaningTurnaround summarises how long beds waited for cleaning.
func turnaroundType() *graphql.Object {
	round := func(v float64) float64 { return math.Round(v*10) / 10 }
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "BedCleaningTurnaround",
		Description: "Recent cleaning turnaround: from a bed needing a clean (vacated, or closed as contaminated) to it being cleaned.",
		Fields: graphql.Fields{
			"cleans":        field(nnInt, func(s readmodel.Turnaround) any { return s.Cleans }),
			"meanMinutes":   field(nnFloat, func(s readmodel.Turnaround) any { return round(s.MeanMinutes) }),
			"medianMinutes": field(nnFloat, func(s readmodel.Turnaround) any { return round(s.MedianMinutes) }),
			"p90Minutes":    field(nnFloat, func(s readmodel.Turnaround) any { return round(s.P90Minutes) }),
		},
	})
}
