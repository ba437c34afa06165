package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

var mdtAttendeeType = graphql.NewObject(graphql.ObjectConfig{
	Name: "MdtAttendee",
	Fields: graphql.Fields{
		"role": get(graphql.NewNonNull(mdtRoleEnum), "", func(a domain.MdtAttendee) any { return string(a.Role) }),
		"name": get(graphql.String, "", func(a domain.MdtAttendee) any { return opt(a.Name) }),
	},
})

var mdtActionType = graphql.NewObject(graphql.ObjectConfig{
	Name: "MdtAction",
	Fields: graphql.Fields{
		"description": get(nnString, "", func(a domain.MdtAction) any { return a.Description }),
		"ownerRole":   get(graphql.NewNonNull(mdtRoleEnum), "", func(a domain.MdtAction) any { return string(a.OwnerRole) }),
		"ownerName":   get(graphql.String, "", func(a domain.MdtAction) any { return opt(a.OwnerName) }),
		"dueDate":     get(graphql.String, "YYYY-MM-DD.", func(a domain.MdtAction) any { return opt(string(a.DueDate)) }),
	},
})

var mdtDiscussionType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "MdtDiscussion",
	Description: "A multidisciplinary team discussion of the patient.",
	Fields: graphql.Fields{
		"id":              get(nnID, "", func(d readmodel.MdtDiscussionView) any { return d.ID }),
		"discussedAt":     get(nnString, "", func(d readmodel.MdtDiscussionView) any { return when(d.DiscussedAt) }),
		"attendees":       get(list(mdtAttendeeType), "", func(d readmodel.MdtDiscussionView) any { return d.Attendees }),
		"actions":         get(list(mdtActionType), "", func(d readmodel.MdtDiscussionView) any { return nonNil(d.Actions) }),
		"recordedBy":      get(graphql.String, "The user who recorded it.", func(d readmodel.MdtDiscussionView) any { return opt(d.RecordedBy) }),
		"concludedReview": get(nnBoolean, "Whether this discussion ended a review.", func(d readmodel.MdtDiscussionView) any { return d.ConcludedReview }),
	},
})

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
