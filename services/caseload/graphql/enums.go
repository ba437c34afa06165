package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/domain"
)

// enum builds a GraphQL enum whose values are the domain's strings.
func enum[T ~string](name, desc string, values []T) *graphql.Enum {
	cfg := graphql.EnumValueConfigMap{}
	for _, v := range values {
		cfg[string(v)] = &graphql.EnumValueConfig{Value: string(v)}
	}
	return graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: cfg})
}

var (
	episodeStatusEnum = enum("EpisodeStatus", "Where a caseload episode is: AWAITING_ALLOCATION → ALLOCATED → ACTIVE ⇄ UNDER_REVIEW → DISCHARGED | TRANSFERRED | DECEASED; SUSPENDED while the patient is in a bed.", domain.Statuses)
	visitStatusEnum   = enum("VisitStatus", "PLANNED → COMPLETED | CANCELLED | NO_ACCESS | DECLINED.", domain.VisitStatuses)
	visitOutcomeEnum  = enum("VisitOutcome", "How a planned visit ended.", domain.VisitOutcomes)
	visitPurposeEnum  = enum("VisitPurpose", "What a visit is for.", domain.VisitPurposes)
	cancellationEnum  = enum("VisitCancellationReason", "Why a visit did not go ahead. EPISODE_CLOSED is set by carecoord when an episode ends with visits planned.", domain.CancellationReasons)
	frequencyEnum     = enum("VisitFrequency", "How often a recurring visit repeats (at the same London time of day).", []domain.Frequency{domain.Daily, domain.Weekly, domain.Fortnightly})
	reviewReasonEnum  = enum("EpisodeReviewReason", "Why an episode is brought to the MDT.", domain.ReviewReasons)
	mdtRoleEnum       = enum("MdtRole", "The discipline of an MDT attendee or action owner.", domain.MdtRoles)
	suspensionEnum    = enum("EpisodeSuspensionReason", "Why care is paused. ADMITTED_COMMUNITY_BED is set by carecoord from the bed board.", domain.SuspensionReasons)
	dischargeEnum     = enum("CaseloadDischargeOutcome", "How an episode ended when the patient left the caseload.", domain.DischargeOutcomes)
)
