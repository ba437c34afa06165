package graphql

import "github.com/graphql-go/graphql"

// Input objects, one per mutation. Field names are the app commands' JSON
// names, so gql.Decode fills the command directly.

func input(name, desc string, fields graphql.InputObjectConfigFieldMap) *graphql.InputObject {
	fields["expectedVersion"] = &graphql.InputObjectFieldConfig{Type: graphql.Int,
		Description: "The episode version you saw; if it has changed since, the mutation fails with CONFLICT and writes nothing."}
	return graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: desc, Fields: fields})
}

func field(t graphql.Input, desc string) *graphql.InputObjectFieldConfig {
	return &graphql.InputObjectFieldConfig{Type: t, Description: desc}
}

const atDesc = "When it happened (RFC 3339); default now. Up to 14 days back, never in the future."

var (
	assignKeyworkerInput = input("AssignKeyworkerInput", "Name the episode's keyworker (first allocation or handover).", graphql.InputObjectConfigFieldMap{
		"episodeId":     field(nnID, ""),
		"keyworkerId":   field(nnID, "The clinician's user ID."),
		"keyworkerName": field(nnString, ""),
		"team":          field(graphql.String, "Default: the locality's integrated care team."),
		"at":            field(graphql.String, atDesc),
	})

	recurrenceInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "VisitRecurrenceInput", Fields: graphql.InputObjectConfigFieldMap{
		"frequency":   field(graphql.NewNonNull(frequencyEnum), ""),
		"occurrences": field(nnInt, "How many visits in all, 1 to 56."),
	}})

	scheduleVisitInput = input("ScheduleVisitInput", "Plan a visit, or a recurring series; each visit is its own entity.", graphql.InputObjectConfigFieldMap{
		"episodeId":       field(nnID, ""),
		"plannedAt":       field(nnString, "RFC 3339. A series repeats at the same London time of day."),
		"durationMinutes": field(graphql.Int, "Default 30."),
		"purpose":         field(graphql.NewNonNull(visitPurposeEnum), ""),
		"clinicianId":     field(graphql.ID, "Who visits; default the keyworker."),
		"clinicianName":   field(graphql.String, ""),
		"recurrence":      field(recurrenceInput, "Omit for a one-off visit."),
	})

	recordVisitOutcomeInput = input("RecordVisitOutcomeInput", "", graphql.InputObjectConfigFieldMap{
		"episodeId":          field(nnID, ""),
		"visitId":            field(nnID, ""),
		"outcome":            field(graphql.NewNonNull(visitOutcomeEnum), ""),
		"cancellationReason": field(cancellationEnum, "Required for CANCELLED, not allowed otherwise."),
		"at":                 field(graphql.String, atDesc),
	})

	reassignVisitsInput = input("ReassignVisitsInput", "Move planned visits of one episode to another clinician.", graphql.InputObjectConfigFieldMap{
		"episodeId":     field(nnID, ""),
		"visitIds":      field(graphql.NewNonNull(inputList(graphql.ID)), ""),
		"clinicianId":   field(nnID, ""),
		"clinicianName": field(nnString, ""),
	})

	updateCarePlanInput = input("UpdateCarePlanInput", "Agree a new version of the care plan; the first one makes the episode ACTIVE.", graphql.InputObjectConfigFieldMap{
		"episodeId":      field(nnID, ""),
		"goals":          field(graphql.NewNonNull(inputList(graphql.String)), "1 to 20 goals."),
		"nextReviewDate": field(nnString, "YYYY-MM-DD, after the day agreed and within a year."),
		"agreedAt":       field(graphql.String, atDesc),
	})

	startReviewInput = input("StartReviewInput", "Bring an ACTIVE episode to the MDT.", graphql.InputObjectConfigFieldMap{
		"episodeId": field(nnID, ""),
		"reason":    field(graphql.NewNonNull(reviewReasonEnum), ""),
		"at":        field(graphql.String, atDesc),
	})

	mdtAttendeeInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "MdtAttendeeInput", Fields: graphql.InputObjectConfigFieldMap{
		"role": field(graphql.NewNonNull(mdtRoleEnum), ""),
		"name": field(graphql.String, ""),
	}})

	mdtActionInput = graphql.NewInputObject(graphql.InputObjectConfig{Name: "MdtActionInput", Fields: graphql.InputObjectConfigFieldMap{
		"description": field(nnString, ""),
		"ownerRole":   field(graphql.NewNonNull(mdtRoleEnum), ""),
		"ownerName":   field(graphql.String, ""),
		"dueDate":     field(graphql.String, "YYYY-MM-DD."),
	}})

	recordMdtDiscussionInput = input("RecordMdtDiscussionInput", "", graphql.InputObjectConfigFieldMap{
		"episodeId":       field(nnID, ""),
		"discussedAt":     field(nnString, atDesc),
		"attendees":       field(graphql.NewNonNull(inputList(mdtAttendeeInput)), "At least two, by role."),
		"actions":         field(inputList(mdtActionInput), ""),
		"concludesReview": field(graphql.Boolean, "End the review the episode is UNDER_REVIEW for: care goes on (ACTIVE)."),
	})

	suspendEpisodeInput = input("SuspendEpisodeInput", "Pause care while the patient is admitted (the bed board does this for community beds).", graphql.InputObjectConfigFieldMap{
		"episodeId":  field(nnID, ""),
		"reason":     field(graphql.NewNonNull(suspensionEnum), ""),
		"stayId":     field(graphql.ID, ""),
		"hospitalId": field(graphql.ID, ""),
		"at":         field(graphql.String, atDesc),
	})

	resumeEpisodeInput = input("ResumeEpisodeInput", "Restart care where it was; visits planned while the patient was in are cancelled.", graphql.InputObjectConfigFieldMap{
		"episodeId": field(nnID, ""),
		"at":        field(graphql.String, atDesc),
	})

	transferEpisodeInput = input("TransferEpisodeInput", "Hand care to another locality (which opens an episode there) or another service. Give one of the two.", graphql.InputObjectConfigFieldMap{
		"episodeId":    field(nnID, ""),
		"toLocalityId": field(graphql.ID, ""),
		"toService":    field(graphql.String, ""),
		"at":           field(graphql.String, atDesc),
	})

	dischargeInput = input("DischargeFromCaseloadInput", "", graphql.InputObjectConfigFieldMap{
		"episodeId": field(nnID, ""),
		"outcome":   field(graphql.NewNonNull(dischargeEnum), ""),
		"at":        field(graphql.String, atDesc),
	})

	recordDeathInput = input("RecordDeathInput", "", graphql.InputObjectConfigFieldMap{
		"episodeId":   field(nnID, ""),
		"dateOfDeath": field(nnString, "YYYY-MM-DD."),
	})
)
