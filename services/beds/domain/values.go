// Package domain is the beds service's model: the bed requests that ask for a
// community bed, the beds of the community hospitals with their state machine
// (HL7 v2 table 0116 plus Reserved), and each patient's placement: the bed
// stays from allocation to discharge. Three aggregates, three kinds of stream:
//
//	bedrequest-<requestId>   a request: raised, accepted or declined, allocated
//	bed-<bedId>              a bed: reserved, occupied, vacated, cleaned, closed
//	placement-<patientKey>   a patient's stays: allocated, admitted, moved, discharged
//
// How the three together keep "one patient per bed, one bed per patient" with
// nothing but optimistic concurrency on single streams is in DESIGN.md.
//
// Commands are methods that check the state machine and return events;
// Apply folds an event and never fails. Business times (admittedAt,
// dischargedAt) are arguments, never read from a clock.
//
// It imports pkg/aggregate, pkg/errs, pkg/nhsnumber, pkg/postcode,
// pkg/eventstore (for deterministic IDs) and the service's hospitals package.
package domain

import (
	"slices"
	"strings"

	"carecoord/pkg/errs"
)

// RequestType says which way a patient moves into a community bed.
type RequestType string

const (
	// StepUp: from home, to avoid an acute admission (falls response, UCR, ICT).
	StepUp RequestType = "STEP_UP"
	// StepDown: from an acute hospital bed, to free it.
	StepDown RequestType = "STEP_DOWN"
)

// RequestTypes lists the request types.
var RequestTypes = []RequestType{StepUp, StepDown}

// RequestSource is who asks for the bed.
type RequestSource string

const (
	SourceFalls RequestSource = "FALLS"
	SourceUCR   RequestSource = "UCR"
	SourceICT   RequestSource = "ICT"
	SourceAcute RequestSource = "ACUTE"
)

// RequestSources lists the sources.
var RequestSources = []RequestSource{SourceFalls, SourceUCR, SourceICT, SourceAcute}

// Priority orders the bed requests on the bed manager's list.
type Priority string

const (
	// Urgent: a bed is needed today to keep the patient safe at home or to
	// avoid an acute admission.
	Urgent Priority = "URGENT"
	// High: within a day or two.
	High Priority = "HIGH"
	// Routine: planned.
	Routine Priority = "ROUTINE"
)

// Priorities lists the priorities, most urgent first.
var Priorities = []Priority{Urgent, High, Routine}

// Rank is the priority's place in Priorities (0 is most urgent).
func (p Priority) Rank() int {
	if i := slices.Index(Priorities, p); i >= 0 {
		return i
	}
	return len(Priorities)
}

// BedStatus is a bed's state: HL7 v2 table 0116 (Unoccupied, Occupied,
// Housekeeping, Closed, Contaminated, Isolated) plus Reserved (allocated,
// patient not yet arrived).
type BedStatus string

const (
	Available     BedStatus = "AVAILABLE"      // 0116 U
	Reserved      BedStatus = "RESERVED"       // carecoord's own
	Occupied      BedStatus = "OCCUPIED"       // 0116 O
	AwaitingClean BedStatus = "AWAITING_CLEAN" // 0116 H
	Closed        BedStatus = "CLOSED"         // 0116 C
	Contaminated  BedStatus = "CONTAMINATED"   // 0116 K
	Isolated      BedStatus = "ISOLATED"       // 0116 I
)

// BedStatuses lists the statuses.
var BedStatuses = []BedStatus{Available, Reserved, Occupied, AwaitingClean, Closed, Contaminated, Isolated}

// HL7 is the HL7 v2 table 0116 code of the status ("" for Reserved, which
// the table does not have).
func (s BedStatus) HL7() string {
	switch s {
	case Available:
		return "U"
	case Occupied:
		return "O"
	case AwaitingClean:
		return "H"
	case Closed:
		return "C"
	case Contaminated:
		return "K"
	case Isolated:
		return "I"
	}
	return ""
}

// Phrase is how an error message names the state ("awaiting clean").
func (s BedStatus) Phrase() string { return strings.ToLower(strings.ReplaceAll(string(s), "_", " ")) }

// OutOfUse reports whether the bed is taken out of the bed base (closed,
// contaminated or isolated): it counts in neither occupancy's numerator nor
// its denominator.
func (s BedStatus) OutOfUse() bool { return s == Closed || s == Contaminated || s == Isolated }

// ClosureReason says why a bed is taken out of use.
type ClosureReason string

const (
	ClosureStaffing         ClosureReason = "STAFFING"
	ClosureEstates          ClosureReason = "ESTATES"
	ClosureInfectionControl ClosureReason = "INFECTION_CONTROL"
	ClosureEquipment        ClosureReason = "EQUIPMENT"
	ClosureOther            ClosureReason = "OTHER"
)

// ClosureReasons lists the reasons.
var ClosureReasons = []ClosureReason{ClosureStaffing, ClosureEstates, ClosureInfectionControl, ClosureEquipment, ClosureOther}

// Pathway is the Discharge to Assess pathway (national discharge guidance):
// P0 home with no new support, P1 home with new support, P2 bed-based
// rehabilitation, P3 new 24-hour care.
type Pathway string

const (
	P0 Pathway = "P0"
	P1 Pathway = "P1"
	P2 Pathway = "P2"
	P3 Pathway = "P3"
)

// Pathways lists the pathways.
var Pathways = []Pathway{P0, P1, P2, P3}

// DelayReason is why a patient with no criteria to reside is still in the
// bed (the daily discharge delay return's categories, simplified).
type DelayReason string

const (
	DelayAwaitingAssessment      DelayReason = "AWAITING_ASSESSMENT"
	DelayAwaitingHomeCare        DelayReason = "AWAITING_HOME_CARE_PACKAGE"
	DelayAwaitingCareHome        DelayReason = "AWAITING_CARE_HOME_PLACEMENT"
	DelayAwaitingRehabBed        DelayReason = "AWAITING_REHABILITATION_BED"
	DelayAwaitingEquipment       DelayReason = "AWAITING_EQUIPMENT_OR_ADAPTATIONS"
	DelayAwaitingHousing         DelayReason = "AWAITING_HOUSING"
	DelayPatientOrFamilyChoice   DelayReason = "PATIENT_OR_FAMILY_CHOICE"
	DelayAwaitingTransport       DelayReason = "AWAITING_TRANSPORT"
	DelayAwaitingMedication      DelayReason = "AWAITING_MEDICATION"
	DelaySafeguarding            DelayReason = "SAFEGUARDING"
	DelayAwaitingFundingDecision DelayReason = "AWAITING_FUNDING_DECISION"
	DelayOther                   DelayReason = "OTHER"
)

// DelayReasons lists the delay reasons.
var DelayReasons = []DelayReason{DelayAwaitingAssessment, DelayAwaitingHomeCare, DelayAwaitingCareHome, DelayAwaitingRehabBed,
	DelayAwaitingEquipment, DelayAwaitingHousing, DelayPatientOrFamilyChoice, DelayAwaitingTransport, DelayAwaitingMedication,
	DelaySafeguarding, DelayAwaitingFundingDecision, DelayOther}

// Phrase is a short non-clinical phrase for timelines ("awaiting care home
// placement").
func (d DelayReason) Phrase() string { return strings.ToLower(strings.ReplaceAll(string(d), "_", " ")) }

// oneOf validates an enum value from input.
func oneOf[T ~string](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return errs.Invalid(field, "must be one of "+strings.Join(names, ", "), "enum")
}

// limitText checks a free-text field: trimmed, not longer than max. Its
// content never reaches an error message.
func limitText(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errs.Invalid(field, "is required", "required")
	}
	if len([]rune(s)) > max {
		return "", errs.Invalid(field, "is too long", "too-long")
	}
	return s, nil
}
