package graphql

import (
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/services/beds/readmodel"
)

// serviceName is this subgraph's name in merged timelines.
const serviceName = "beds"

// TimelineEntry is one entry of a patient's timeline. Every subgraph defines
// it with exactly these fields, so that the gateway can merge them.
func timelineEntryType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "TimelineEntry",
		Fields: graphql.Fields{
			"at":      timeField(true, func(e readmodel.TimelineEntry) time.Time { return e.At }),
			"service": field(nnString, func(readmodel.TimelineEntry) any { return serviceName }),
			"type":    field(nnString, func(e readmodel.TimelineEntry) any { return e.Type }),
			"summary": field(nnString, func(e readmodel.TimelineEntry) any { return e.Summary }),
			"refId":   field(graphql.ID, func(e readmodel.TimelineEntry) any { return optional(e.RefID) }),
		},
	})
}
