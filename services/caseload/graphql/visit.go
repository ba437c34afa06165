package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/readmodel"
)

// visitNode is a visit's source: the visit and the episode it belongs to,
// so that Visit.episode needs no second lookup.
type visitNode struct {
	visit   readmodel.VisitView
	episode readmodel.EpisodeView
}

func visitNodes(ep readmodel.EpisodeView, vs []readmodel.VisitView) []visitNode {
	out := make([]visitNode, len(vs))
	for i, v := range vs {
		out[i] = visitNode{v, ep}
	}
	return out
}

func visitField(t graphql.Output, desc string, read func(readmodel.VisitView) any) *graphql.Field {
	return get(t, desc, func(n visitNode) any { return read(n.visit) })
}

func newVisitType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Visit",
		Description: "A visit to the patient within a caseload episode. Due and overdue follow the London day it is planned for.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":              visitField(nnID, "", func(v readmodel.VisitView) any { return v.ID }),
				"episodeId":       visitField(nnID, "", func(v readmodel.VisitView) any { return v.EpisodeID }),
				"episode":         get(graphql.NewNonNull(episodeType), "", func(n visitNode) any { return n.episode }),
				"seriesId":        visitField(graphql.ID, "The recurring series the visit belongs to.", func(v readmodel.VisitView) any { return opt(v.SeriesID) }),
				"plannedAt":       visitField(nnString, "", func(v readmodel.VisitView) any { return when(v.PlannedAt) }),
				"durationMinutes": visitField(nnInt, "", func(v readmodel.VisitView) any { return v.DurationMinutes }),
				"purpose":         visitField(graphql.NewNonNull(visitPurposeEnum), "", func(v readmodel.VisitView) any { return v.Purpose }),
				"clinician":       visitField(graphql.NewNonNull(clinicianType), "Who is to visit.", func(v readmodel.VisitView) any { return v.Clinician }),
				"status":          visitField(graphql.NewNonNull(visitStatusEnum), "", func(v readmodel.VisitView) any { return v.Status }),
				"outcomeAt":       visitField(graphql.String, "When it was completed, attempted, declined or cancelled.", func(v readmodel.VisitView) any { return when(v.OutcomeAt) }),
				"cancellationReason": visitField(cancellationEnum, "", func(v readmodel.VisitView) any {
					return opt(v.CancellationReason)
				}),
				"due":     visitField(nnBoolean, "Planned for today and not yet recorded (patient at home).", func(v readmodel.VisitView) any { return v.Due }),
				"overdue": visitField(nnBoolean, "Planned for an earlier day and not yet recorded (patient at home).", func(v readmodel.VisitView) any { return v.Overdue }),
			}
		}),
	})
}
