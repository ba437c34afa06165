package domain

import (
	"time"

	"carecoord/pkg/aggregate"
)

// The falls events. Type strings are "falls.<EventName>.v<N>": never rename
// or reuse one; a new shape is a new version. Every one is published, with a
// JSON Schema in schemas/events/falls/. Times are UTC; what is unknown is
// null, never an empty string.

// FallReported opens an incident: an alert came in.
type FallReported struct {
	IncidentID string    `json:"incidentId"`
	Source     Source    `json:"source"`
	AlertedAt  time.Time `json:"alertedAt"`
	// EstimatedFallAt is when the caller thinks the fall happened; null when
	// nobody knows, and time on the floor then counts from the alert.
	EstimatedFallAt *time.Time `json:"estimatedFallAt"`
	Address         Address    `json:"address"`
	// IncidentLocality is the locality the patient lies in.
	IncidentLocality string  `json:"incidentLocality"`
	Patient          Patient `json:"patient"`
	// Locality is the patient's locality: their GP practice's when known,
	// else the incident's.
	Locality   string `json:"locality"`
	ReportedBy string `json:"reportedBy"`
}

// FallPatientLinked identifies (or corrects) the patient of an incident.
type FallPatientLinked struct {
	IncidentID string    `json:"incidentId"`
	Patient    Patient   `json:"patient"`
	Locality   string    `json:"locality"`
	LinkedAt   time.Time `json:"linkedAt"`
	LinkedBy   string    `json:"linkedBy"`
}

// FallTriaged records the ISTUMBLE answers and the response they decide.
type FallTriaged struct {
	IncidentID string    `json:"incidentId"`
	RedFlags   []RedFlag `json:"redFlags"`
	Injury     Injury    `json:"injury"`
	Response   Response  `json:"response"`
	Notes      *string   `json:"notes"`
	TriagedAt  time.Time `json:"triagedAt"`
	TriagedBy  string    `json:"triagedBy"`
}

// AssignmentRef names one assignment of a unit to an incident.
type AssignmentRef struct {
	AssignmentID string `json:"assignmentId"`
	ResponderID  string `json:"responderId"`
}

// FallEscalatedTo999 hands the incident to the ambulance service; the line
// is kept open. StandDown is the unit stood down by it, if one was on its way.
type FallEscalatedTo999 struct {
	IncidentID         string         `json:"incidentId"`
	Reason             *string        `json:"reason"`
	AmbulanceReference *string        `json:"ambulanceReference"`
	LineKeptOpen       bool           `json:"lineKeptOpen"`
	StandDown          *AssignmentRef `json:"standDown"`
	EscalatedAt        time.Time      `json:"escalatedAt"`
	EscalatedBy        string         `json:"escalatedBy"`
}

// FallResponderDispatched records the unit the incident took.
type FallResponderDispatched struct {
	IncidentID   string    `json:"incidentId"`
	AssignmentID string    `json:"assignmentId"`
	ResponderID  string    `json:"responderId"`
	CallSign     string    `json:"callSign"`
	Level        Level     `json:"level"`
	DispatchedAt time.Time `json:"dispatchedAt"`
	DispatchedBy string    `json:"dispatchedBy"`
}

// FallDispatchCancelled stands a unit down; the incident is queued again.
type FallDispatchCancelled struct {
	IncidentID   string    `json:"incidentId"`
	AssignmentID string    `json:"assignmentId"`
	ResponderID  string    `json:"responderId"`
	Reason       *string   `json:"reason"`
	CancelledAt  time.Time `json:"cancelledAt"`
	CancelledBy  string    `json:"cancelledBy"`
}

// FallResponderEnRoute: the unit is on its way.
type FallResponderEnRoute struct {
	IncidentID   string    `json:"incidentId"`
	AssignmentID string    `json:"assignmentId"`
	ResponderID  string    `json:"responderId"`
	EnRouteAt    time.Time `json:"enRouteAt"`
	RecordedBy   string    `json:"recordedBy"`
}

// FallResponderOnScene: the unit is with the patient.
type FallResponderOnScene struct {
	IncidentID   string    `json:"incidentId"`
	AssignmentID string    `json:"assignmentId"`
	ResponderID  string    `json:"responderId"`
	ArrivedAt    time.Time `json:"arrivedAt"`
	RecordedBy   string    `json:"recordedBy"`
}

// FallPatientLifted stops the time-on-the-floor clock.
type FallPatientLifted struct {
	IncidentID string    `json:"incidentId"`
	LiftedAt   time.Time `json:"liftedAt"`
	Equipment  *string   `json:"equipment"`
	RecordedBy string    `json:"recordedBy"`
}

// FallOutcomeRecorded is how the response ended. Its shape is the agreed
// cross-service contract: beds raises a step-up bed request on STEP_UP_BED,
// referrals a referral to the patient's ICT on REFERRED. Add nothing to it.
type FallOutcomeRecorded struct {
	IncidentID   string    `json:"incidentId"`
	Patient      Patient   `json:"patient"`
	Locality     string    `json:"locality"`
	Outcome      Outcome   `json:"outcome"`
	ReferTo      []ReferTo `json:"referTo"`
	ClinicalNeed *string   `json:"clinicalNeed"`
	RecordedAt   time.Time `json:"recordedAt"`
	RecordedBy   string    `json:"recordedBy"`
}

// FallClosed ends the incident.
type FallClosed struct {
	IncidentID string      `json:"incidentId"`
	Reason     CloseReason `json:"reason"`
	ClosedAt   time.Time   `json:"closedAt"`
	ClosedBy   string      `json:"closedBy"`
}

// ResponderStatusSet: a dispatcher booked a unit on (AVAILABLE) or off
// (OFF_DUTY) shift.
type ResponderStatusSet struct {
	ResponderID string     `json:"responderId"`
	Status      DutyStatus `json:"status"`
	SetAt       time.Time  `json:"setAt"`
	SetBy       string     `json:"setBy"`
}

// ResponderAssigned: the unit took an assignment to an incident. It is the
// first half of a dispatch: the incident confirms it with
// FallResponderDispatched or refuses it, and the unit is then released.
type ResponderAssigned struct {
	ResponderID  string    `json:"responderId"`
	AssignmentID string    `json:"assignmentId"`
	IncidentID   string    `json:"incidentId"`
	CallSign     string    `json:"callSign"`
	Level        Level     `json:"level"`
	AssignedAt   time.Time `json:"assignedAt"`
	AssignedBy   string    `json:"assignedBy"`
}

// Refusal is why an incident refused an assignment: the typed error's
// reason, message and field, none of which holds patient data.
type Refusal struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ResponderReleased ends an assignment: the unit is free again (or off duty
// if it was booked off meanwhile — it cannot be).
type ResponderReleased struct {
	ResponderID  string        `json:"responderId"`
	AssignmentID string        `json:"assignmentId"`
	IncidentID   string        `json:"incidentId"`
	Reason       ReleaseReason `json:"reason"`
	Refusal      *Refusal      `json:"refusal"`
	ReleasedAt   time.Time     `json:"releasedAt"`
}

func (FallReported) EventType() string            { return "falls.FallReported.v1" }
func (FallPatientLinked) EventType() string       { return "falls.FallPatientLinked.v1" }
func (FallTriaged) EventType() string             { return "falls.FallTriaged.v1" }
func (FallEscalatedTo999) EventType() string      { return "falls.FallEscalatedTo999.v1" }
func (FallResponderDispatched) EventType() string { return "falls.FallResponderDispatched.v1" }
func (FallDispatchCancelled) EventType() string   { return "falls.FallDispatchCancelled.v1" }
func (FallResponderEnRoute) EventType() string    { return "falls.FallResponderEnRoute.v1" }
func (FallResponderOnScene) EventType() string    { return "falls.FallResponderOnScene.v1" }
func (FallPatientLifted) EventType() string       { return "falls.FallPatientLifted.v1" }
func (FallOutcomeRecorded) EventType() string     { return "falls.FallOutcomeRecorded.v1" }
func (FallClosed) EventType() string              { return "falls.FallClosed.v1" }
func (ResponderStatusSet) EventType() string      { return "falls.ResponderStatusSet.v1" }
func (ResponderAssigned) EventType() string       { return "falls.ResponderAssigned.v1" }
func (ResponderReleased) EventType() string       { return "falls.ResponderReleased.v1" }

// IncidentEvents are the events of an incident's stream.
var IncidentEvents = []aggregate.Event{FallReported{}, FallPatientLinked{}, FallTriaged{}, FallEscalatedTo999{},
	FallResponderDispatched{}, FallDispatchCancelled{}, FallResponderEnRoute{}, FallResponderOnScene{},
	FallPatientLifted{}, FallOutcomeRecorded{}, FallClosed{}}

// ResponderEvents are the events of a responder unit's stream.
var ResponderEvents = []aggregate.Event{ResponderStatusSet{}, ResponderAssigned{}, ResponderReleased{}}

// Types decodes every falls event.
var Types = aggregate.NewTypes(append(append([]aggregate.Event{}, IncidentEvents...), ResponderEvents...)...)

// Stream categories: streams are "<category>-<id>".
const (
	IncidentCategory  = "fallincident"
	ResponderCategory = "fallresponder"
)
