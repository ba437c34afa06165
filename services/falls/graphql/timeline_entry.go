package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/falls/app"
)

// timelineEntryType is the shared TimelineEntry: the gateway merges every
// subgraph's entries for Patient.timeline, so its name and fields are fixed.
func timelineEntryType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "TimelineEntry",
		Description: "One step in a patient's record.",
		Fields: graphql.Fields{
			"at":      field(nonNull(graphql.String), func(e app.TimelineEntry) any { return gql.Time(e.At) }),
			"service": field(nonNull(graphql.String), func(app.TimelineEntry) any { return "falls" }),
			"type":    field(nonNull(graphql.String), func(e app.TimelineEntry) any { return e.Type }),
			"summary": field(nonNull(graphql.String), func(e app.TimelineEntry) any { return e.Summary }),
			"refId":   field(graphql.ID, func(e app.TimelineEntry) any { return e.RefID }),
		},
	})
}
