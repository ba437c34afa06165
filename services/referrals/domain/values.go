package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"carecoord/pkg/errs"
)

// Status is where a referral is in its workflow.
type Status string

const (
	// Received: held by the service, awaiting triage.
	StatusReceived Status = "RECEIVED"
	// InformationRequested: triage asked the referrer for more; re-triaged
	// once it arrives.
	StatusInformationRequested Status = "INFORMATION_REQUESTED"
	// Waiting: accepted at triage and on the waiting list at its priority.
	StatusWaiting Status = "WAITING"
	// Allocated: a team and a named clinician will see the patient.
	StatusAllocated Status = "ALLOCATED"
	// FirstContact: the patient has been seen face to face; the referral is
	// complete and the patient's care continues on the ICT caseload.
	StatusFirstContact Status = "FIRST_CONTACT"
	// Closed states.
	StatusRejected       Status = "REJECTED"
	StatusRedirected     Status = "REDIRECTED"
	StatusWithdrawn      Status = "WITHDRAWN"
	StatusCancelled      Status = "CANCELLED"
	StatusEnteredInError Status = "ENTERED_IN_ERROR"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusReceived, StatusInformationRequested, StatusWaiting, StatusAllocated, StatusFirstContact,
	StatusRejected, StatusRedirected, StatusWithdrawn, StatusCancelled, StatusEnteredInError}

// OpenStatuses are the statuses of referrals still waiting for the service
// to act: the queue and the waiting list.
var OpenStatuses = []Status{StatusReceived, StatusInformationRequested, StatusWaiting, StatusAllocated}

// Open reports whether the referral still needs the service to act.
func (s Status) Open() bool {
	switch s {
	case StatusReceived, StatusInformationRequested, StatusWaiting, StatusAllocated:
		return true
	}
	return false
}

// describe names the state for an illegal-step message: the plain phrase
// for the person at the screen and the code a client can match on.
func (s Status) describe() string {
	phrase := map[Status]string{
		StatusReceived:             "received and awaiting triage",
		StatusInformationRequested: "waiting for requested information",
		StatusWaiting:              "accepted and waiting for allocation",
		StatusAllocated:            "allocated",
		StatusFirstContact:         "complete (first contact made)",
		StatusRejected:             "rejected",
		StatusRedirected:           "redirected",
		StatusWithdrawn:            "withdrawn",
		StatusCancelled:            "cancelled",
		StatusEnteredInError:       "entered in error",
	}[s]
	if phrase == "" {
		return "not received"
	}
	return phrase + " (" + string(s) + ")"
}

// Priority is the response a referral needs.
type Priority string

const (
	PriorityUrgent2H Priority = "URGENT_2H"
	PriorityUrgent2D Priority = "URGENT_2D"
	PriorityRoutine  Priority = "ROUTINE"
)

// Priorities lists the priorities, most urgent first.
var Priorities = []Priority{PriorityUrgent2H, PriorityUrgent2D, PriorityRoutine}

// Rank orders priorities for the queue: lower is more urgent.
func (p Priority) Rank() int {
	switch p {
	case PriorityUrgent2H:
		return 0
	case PriorityUrgent2D:
		return 1
	}
	return 2
}

// ParsePriority validates a priority from input.
func ParsePriority(field, s string) (Priority, error) {
	return parseEnum(field, s, Priorities, "priority-unknown")
}

// Source is who sent the referral (DOMAIN.md's minimum data).
type Source string

const (
	SourceGP                Source = "GP"
	SourceNHS111            Source = "NHS_111"
	SourceAmbulance         Source = "AMBULANCE"
	SourceSelfOrCarer       Source = "SELF_OR_CARER"
	SourceHospitalDischarge Source = "HOSPITAL_DISCHARGE"
	SourceFallsService      Source = "FALLS_SERVICE"
)

// Sources lists the referral sources.
var Sources = []Source{SourceGP, SourceNHS111, SourceAmbulance, SourceSelfOrCarer, SourceHospitalDischarge, SourceFallsService}

// ParseSource validates a source from input.
func ParseSource(field, s string) (Source, error) {
	return parseEnum(field, s, Sources, "source-unknown")
}

// Consent is the patient's consent to the referral.
type Consent string

const (
	// ConsentGiven: the patient agreed to be referred.
	ConsentGiven Consent = "GIVEN"
	// ConsentBestInterests: the patient lacks capacity to consent and the
	// referral is made in their best interests (Mental Capacity Act 2005).
	ConsentBestInterests Consent = "BEST_INTERESTS"
	// ConsentNotRecorded: the referrer did not say (automated referrals).
	// Triage confirms consent at first contact.
	ConsentNotRecorded Consent = "NOT_RECORDED"
)

// Consents lists the consent values.
var Consents = []Consent{ConsentGiven, ConsentBestInterests, ConsentNotRecorded}

// ParseConsent validates a consent value from input.
func ParseConsent(field, s string) (Consent, error) {
	return parseEnum(field, s, Consents, "consent-unknown")
}

// RiskFlag warns whoever visits the patient.
type RiskFlag string

const (
	RiskSafeguarding         RiskFlag = "SAFEGUARDING"
	RiskLoneWorking          RiskFlag = "LONE_WORKING"
	RiskInfectionControl     RiskFlag = "INFECTION_CONTROL"
	RiskAnimals              RiskFlag = "ANIMALS"
	RiskAccess               RiskFlag = "ACCESS"
	RiskFalls                RiskFlag = "FALLS"
	RiskCognitiveImpairment  RiskFlag = "COGNITIVE_IMPAIRMENT"
	RiskEndOfLife            RiskFlag = "END_OF_LIFE"
	RiskCommunicationNeeds   RiskFlag = "COMMUNICATION_NEEDS"
	RiskOxygenInUse          RiskFlag = "OXYGEN_IN_USE"
	RiskAggressionOrViolence RiskFlag = "AGGRESSION_OR_VIOLENCE"
)

// RiskFlags lists the risk flags.
var RiskFlags = []RiskFlag{RiskSafeguarding, RiskLoneWorking, RiskInfectionControl, RiskAnimals, RiskAccess, RiskFalls,
	RiskCognitiveImpairment, RiskEndOfLife, RiskCommunicationNeeds, RiskOxygenInUse, RiskAggressionOrViolence}

// ParseRiskFlag validates a risk flag from input.
func ParseRiskFlag(field, s string) (RiskFlag, error) {
	return parseEnum(field, s, RiskFlags, "risk-flag-unknown")
}

// TriageOutcome is what triage decided.
type TriageOutcome string

const (
	TriageAccept             TriageOutcome = "ACCEPT"
	TriageReject             TriageOutcome = "REJECT"
	TriageRedirect           TriageOutcome = "REDIRECT"
	TriageRequestInformation TriageOutcome = "REQUEST_INFORMATION"
)

// TriageOutcomes lists the triage outcomes.
var TriageOutcomes = []TriageOutcome{TriageAccept, TriageReject, TriageRedirect, TriageRequestInformation}

// ParseTriageOutcome validates a triage outcome from input.
func ParseTriageOutcome(field, s string) (TriageOutcome, error) {
	return parseEnum(field, s, TriageOutcomes, "triage-outcome-unknown")
}

// Closure is how an open referral ends without being seen.
type Closure string

const (
	// ClosureWithdrawn: the referrer or the patient took it back.
	ClosureWithdrawn Closure = "WITHDRAWN"
	// ClosureCancelled: the service closed it (patient died, moved away,
	// admitted long term...).
	ClosureCancelled Closure = "CANCELLED"
	// ClosureEnteredInError: the record should never have existed (wrong
	// patient, duplicate). It leaves every count and patient view.
	ClosureEnteredInError Closure = "ENTERED_IN_ERROR"
)

// Closures lists the closure kinds.
var Closures = []Closure{ClosureWithdrawn, ClosureCancelled, ClosureEnteredInError}

// ParseClosure validates a closure kind from input.
func ParseClosure(field, s string) (Closure, error) {
	return parseEnum(field, s, Closures, "closure-unknown")
}

// ParseStatus validates a status from input.
func ParseStatus(field, s string) (Status, error) {
	return parseEnum(field, s, Statuses, "status-unknown")
}

func parseEnum[T ~string](field, s string, values []T, slug string) (T, error) {
	for _, v := range values {
		if string(v) == s {
			return v, nil
		}
	}
	return "", errs.Invalid(field, "is not one of the allowed values", slug)
}

// Reason is why the patient is referred: a SNOMED CT concept and its display
// term.
type Reason struct {
	SnomedCode string `json:"snomedCode"`
	Display    string `json:"display"`
}

// NewReason validates a coded reason.
func NewReason(field, code, display string) (Reason, error) {
	code = strings.TrimSpace(code)
	if err := ValidateSnomedID(field+".snomedCode", code); err != nil {
		return Reason{}, err
	}
	d, err := text(field+".display", display, 255, true)
	if err != nil {
		return Reason{}, err
	}
	return Reason{SnomedCode: code, Display: d}, nil
}

// text trims and bounds a free-text field.
func text(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errs.Invalid(field, "is required", "required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", errs.Invalid(field, "is too long", "too-long")
	}
	return s, nil
}

// optText is text for an optional field: nil when empty.
func optText(field string, s *string, max int) (*string, error) {
	if s == nil {
		return nil, nil
	}
	t, err := text(field, *s, max, false)
	if err != nil || t == "" {
		return nil, err
	}
	return &t, nil
}

// utc normalises a business time: UTC, to the second (what the API shows).
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
