package graphql

import "github.com/graphql-go/graphql"

// episodeType and visitType refer to each other (an episode's visits, a
// visit's episode), which Go does not allow between initialised package
// variables; their fields are thunks that graphql-go resolves later.
var episodeType, visitType *graphql.Object

func init() {
	visitType, episodeType = newVisitType(), newEpisodeType()
	// graphql-go builds field maps and enum lookups lazily and without a
	// lock. These types are shared by every schema built from this package
	// (the standalone one, the gateway's), so build them once here: schemas
	// built and requests served concurrently then only read them.
	for _, o := range []*graphql.Object{episodeType, visitType, clinicianType, carePlanType, mdtAttendeeType, mdtActionType,
		mdtDiscussionType, historyEntryType, timelineEntryType, keyworkerCaseloadType, localitySummaryType,
		episodePatientType, episodeReasonType, episodeReviewType, episodeSuspensionType} {
		o.Fields()
	}
	for _, e := range []*graphql.Enum{episodeStatusEnum, visitStatusEnum, visitOutcomeEnum, visitPurposeEnum, cancellationEnum,
		frequencyEnum, reviewReasonEnum, mdtRoleEnum, suspensionEnum, dischargeEnum} {
		e.Serialize("")
		e.ParseValue("")
	}
	for _, in := range []*graphql.InputObject{assignKeyworkerInput, recurrenceInput, scheduleVisitInput, recordVisitOutcomeInput,
		reassignVisitsInput, updateCarePlanInput, startReviewInput, mdtAttendeeInput, mdtActionInput, recordMdtDiscussionInput,
		suspendEpisodeInput, resumeEpisodeInput, transferEpisodeInput, dischargeInput, recordDeathInput} {
		in.Fields()
	}
}
