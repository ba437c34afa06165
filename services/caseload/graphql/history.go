package graphql

import (
	"strings"

	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/readmodel"
)

var historyEntryType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "EpisodeHistoryEntry",
	Description: "One event of an episode, told briefly.",
	Fields: graphql.Fields{
		"at":      get(nnString, "When it happened (business time).", func(h readmodel.HistoryEntry) any { return when(h.At) }),
		"type":    get(nnString, "The event's name, e.g. KeyworkerAssigned.", func(h readmodel.HistoryEntry) any { return eventName(h.Type) }),
		"summary": get(nnString, "", func(h readmodel.HistoryEntry) any { return h.Summary }),
		"actor":   get(graphql.String, "The user (or system:<reaction>) who recorded it.", func(h readmodel.HistoryEntry) any { return opt(h.Actor) }),
	},
})

// timelineEntryType is the shape every subgraph shares, so the gateway can
// merge the four timelines.
var timelineEntryType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "TimelineEntry",
	Description: "One thing that happened to the patient, in one service.",
	Fields: graphql.Fields{
		"at":      get(nnString, "", func(h readmodel.HistoryEntry) any { return when(h.At) }),
		"service": get(nnString, "", func(h readmodel.HistoryEntry) any { return "caseload" }),
		"type":    get(nnString, "The event's name, e.g. EpisodeOpened.", func(h readmodel.HistoryEntry) any { return eventName(h.Type) }),
		"summary": get(nnString, "", func(h readmodel.HistoryEntry) any { return h.Summary }),
		"refId":   get(graphql.ID, "The caseload episode.", func(h readmodel.HistoryEntry) any { return h.EpisodeID }),
	},
})

// eventName is "KeyworkerAssigned" for "caseload.KeyworkerAssigned.v1": the
// name every service's timeline uses.
func eventName(eventType string) string {
	parts := strings.Split(eventType, ".")
	if len(parts) == 3 {
		return parts[1]
	}
	return eventType
}
