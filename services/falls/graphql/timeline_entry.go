package graphql

import (
	"strings"

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
			"type":    field(nonNull(graphql.String), func(e app.TimelineEntry) any { return eventName(e.Type) }),
			"summary": field(nonNull(graphql.String), func(e app.TimelineEntry) any { return e.Summary }),
			"refId":   field(graphql.ID, func(e app.TimelineEntry) any { return e.RefID }),
		},
	})
}

// eventName is the bare event name of a type string ("falls.FallReported.v1"
// → "FallReported"), the form every subgraph's timeline uses so that the
// gateway's merged timeline reads alike.
func eventName(eventType string) string {
	parts := strings.Split(eventType, ".")
	if len(parts) == 3 {
		return parts[1]
	}
	return eventType
}
