package graphql

import (
	"slices"
	"strings"

	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

type ev = readmodel.EpisodeView

var episodePatientType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "EpisodePatient",
	Description: "The patient as the accepted referral described them.",
	Fields: graphql.Fields{
		"nhsNumber":             get(nnString, "", func(p domain.Patient) any { return p.NHSNumber }),
		"nhsNumberVerification": get(nnString, "", func(p domain.Patient) any { return p.NHSNumberVerification }),
		"givenName":             get(graphql.String, "", func(p domain.Patient) any { return opt(p.GivenName) }),
		"familyName":            get(graphql.String, "", func(p domain.Patient) any { return opt(p.FamilyName) }),
		"dateOfBirth":           get(graphql.String, "YYYY-MM-DD.", func(p domain.Patient) any { return opt(string(p.DateOfBirth)) }),
		"postcode":              get(graphql.String, "", func(p domain.Patient) any { return opt(p.Postcode) }),
		"gpPractice":            get(graphql.String, "ODS code of the registered practice.", func(p domain.Patient) any { return opt(p.GPPractice) }),
	},
})

var episodeReasonType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "EpisodeReason",
	Description: "The coded reason for care (SNOMED CT), from the referral.",
	Fields: graphql.Fields{
		"snomedCode": get(graphql.String, "", func(r domain.Reason) any { return opt(r.SNOMEDCode) }),
		"display":    get(graphql.String, "", func(r domain.Reason) any { return opt(r.Display) }),
	},
})

var episodeReviewType = graphql.NewObject(graphql.ObjectConfig{
	Name: "EpisodeReview",
	Fields: graphql.Fields{
		"reason":    get(graphql.NewNonNull(reviewReasonEnum), "", func(r readmodel.ReviewView) any { return r.Reason }),
		"startedAt": get(nnString, "", func(r readmodel.ReviewView) any { return when(r.StartedAt) }),
	},
})

var episodeSuspensionType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "EpisodeSuspension",
	Description: "Why care is paused, and where it resumes to.",
	Fields: graphql.Fields{
		"reason":     get(graphql.NewNonNull(suspensionEnum), "", func(s readmodel.SuspensionView) any { return s.Reason }),
		"stayId":     get(graphql.ID, "The community bed stay, when the bed board suspended it.", func(s readmodel.SuspensionView) any { return opt(s.StayID) }),
		"hospitalId": get(graphql.ID, "", func(s readmodel.SuspensionView) any { return opt(s.HospitalID) }),
		"since":      get(nnString, "", func(s readmodel.SuspensionView) any { return when(s.Since) }),
		"resumeTo":   get(graphql.NewNonNull(episodeStatusEnum), "", func(s readmodel.SuspensionView) any { return s.ResumeTo }),
	},
})

func newEpisodeType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "CaseloadEpisode",
		Description: "A patient's episode of care on a locality's ICT caseload, opened from an accepted referral.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":      get(nnID, "", func(e ev) any { return e.ID }),
				"status":  get(graphql.NewNonNull(episodeStatusEnum), "", func(e ev) any { return e.Status }),
				"version": get(nnInt, "The episode's revision: send it back as expectedVersion to refuse a change made meanwhile.", func(e ev) any { return e.Version }),
				"localityId": get(nnID, "The locality whose caseload holds the episode.", func(e ev) any {
					return e.LocalityID
				}),
				"nhsNumber":   get(nnString, "", func(e ev) any { return e.Patient.NHSNumber }),
				"patientName": get(graphql.String, "", func(e ev) any { return opt(strings.TrimSpace(e.Patient.GivenName + " " + e.Patient.FamilyName)) }),
				"patient":     get(graphql.NewNonNull(episodePatientType), "", func(e ev) any { return e.Patient }),
				"referralId":  get(graphql.ID, "The accepted referral the episode came from.", func(e ev) any { return opt(e.ReferralID) }),
				"transferredFromEpisodeId": get(graphql.ID, "The episode of another locality this one continues.", func(e ev) any {
					return opt(e.TransferredFromEpisodeID)
				}),
				"serviceRequested": get(graphql.String, "", func(e ev) any { return opt(e.ServiceRequested) }),
				"priority":         get(graphql.String, "URGENT_2H, URGENT_2D or ROUTINE, from the referral.", func(e ev) any { return opt(e.Priority) }),
				"ucr":              get(nnBoolean, "Urgent community response.", func(e ev) any { return e.UCR }),
				"reason":           get(graphql.NewNonNull(episodeReasonType), "", func(e ev) any { return e.Reason }),
				"openedAt":         get(nnString, "", func(e ev) any { return when(e.OpenedAt) }),
				"keyworker":        get(clinicianType, "", func(e ev) any { return deref(e.Keyworker) }),
				"team":             get(graphql.String, "", func(e ev) any { return opt(e.Team) }),
				"allocatedAt":      get(graphql.String, "", func(e ev) any { return when(e.AllocatedAt) }),
				"activatedAt":      get(graphql.String, "When the first care plan was agreed.", func(e ev) any { return when(e.ActivatedAt) }),
				"carePlan":         get(carePlanType, "The current version.", func(e ev) any { return deref(e.CarePlan) }),
				"carePlanHistory":  get(list(carePlanType), "Every version, oldest first.", func(e ev) any { return nonNil(e.CarePlans) }),
				"nextReviewDate": get(graphql.String, "", func(e ev) any {
					if e.CarePlan == nil {
						return nil
					}
					return e.CarePlan.NextReviewDate
				}),
				"reviewOverdue": get(nnBoolean, "The care plan's review date has passed.", func(e ev) any { return e.ReviewOverdue }),
				"visits": {
					Type:        list(visitType),
					Description: "Visits in planned order, optionally only those in the given statuses.",
					Args:        graphql.FieldConfigArgument{"status": {Type: inputList(visitStatusEnum)}},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						e := p.Source.(ev)
						want := strings_(p.Args["status"])
						var vs []readmodel.VisitView
						for _, v := range e.Visits {
							if len(want) == 0 || slices.Contains(want, v.Status) {
								vs = append(vs, v)
							}
						}
						return visitNodes(e, vs), nil
					},
				},
				"visitsDueToday": get(nnInt, "", func(e ev) any { return count(e.Visits, func(v readmodel.VisitView) bool { return v.Due }) }),
				"visitsOverdue":  get(nnInt, "", func(e ev) any { return count(e.Visits, func(v readmodel.VisitView) bool { return v.Overdue }) }),
				"mdtDiscussions": get(list(mdtDiscussionType), "", func(e ev) any { return nonNil(e.Discussions) }),
				"review":         get(episodeReviewType, "The review the episode is under.", func(e ev) any { return deref(e.Review) }),
				"suspension":     get(episodeSuspensionType, "Why care is paused, while it is.", func(e ev) any { return deref(e.Suspension) }),
				"closedAt":       get(graphql.String, "When the episode was discharged, transferred or the death recorded.", func(e ev) any { return when(e.ClosedAt) }),
				"dischargeOutcome": get(dischargeEnum, "", func(e ev) any {
					return opt(e.DischargeOutcome)
				}),
				"transferredToLocalityId": get(graphql.ID, "", func(e ev) any { return opt(e.TransferredToLocality) }),
				"transferredToService":    get(graphql.String, "", func(e ev) any { return opt(e.TransferredToService) }),
				"dateOfDeath":             get(graphql.String, "YYYY-MM-DD.", func(e ev) any { return opt(e.DateOfDeath) }),
				"history":                 get(list(historyEntryType), "Everything that happened in the episode, in order.", func(e ev) any { return nonNil(e.History) }),
			}
		}),
	})
}

func count[T any](s []T, f func(T) bool) int {
	n := 0
	for _, x := range s {
		if f(x) {
			n++
		}
	}
	return n
}

// strings_ reads a list-of-enum argument.
func strings_(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
