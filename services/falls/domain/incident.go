package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
)

// Status is where an incident is in its lifecycle (DOMAIN.md, falls
// response): AlertReceived → Triaged → Escalated999 | Queued(level) →
// Dispatched(responder) → EnRoute → OnScene → Outcome → Closed.
type Status string

const (
	StatusAlertReceived Status = "ALERT_RECEIVED"
	// StatusTriaged is an incident whose triage found injury or a red
	// flag: it must be escalated to 999, and no falls unit may be sent.
	// Triage that finds neither queues the incident instead.
	StatusTriaged         Status = "TRIAGED"
	StatusEscalated999    Status = "ESCALATED_999"
	StatusQueued          Status = "QUEUED"
	StatusDispatched      Status = "DISPATCHED"
	StatusEnRoute         Status = "EN_ROUTE"
	StatusOnScene         Status = "ON_SCENE"
	StatusOutcomeRecorded Status = "OUTCOME_RECORDED"
	StatusClosed          Status = "CLOSED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusAlertReceived, StatusTriaged, StatusEscalated999, StatusQueued, StatusDispatched,
	StatusEnRoute, StatusOnScene, StatusOutcomeRecorded, StatusClosed}

// Open reports whether the incident still needs the dispatcher.
func (s Status) Open() bool { return s != StatusClosed && s != "" }

// Assignment is a unit's assignment to an incident.
type Assignment struct {
	ID           string
	ResponderID  string
	CallSign     string
	Level        Level
	DispatchedAt time.Time
}

// Incident is one fall alert and the response to it. It holds what its
// decisions need; the full record is in its events (and on the board).
type Incident struct {
	id               string
	status           Status
	incidentLocality string
	patient          Patient
	locality         string
	response         Response
	// assignment is the unit now assigned (assigned true) or the last one
	// (assigned false), so that the unit can be released once it ends.
	assignment Assignment
	assigned   bool
	// taken holds every assignment the incident has taken: an assignment
	// is used once.
	taken    map[string]bool
	liftedAt time.Time
	// lastAt is the business time of the latest step: steps happen in
	// order, so none may be recorded before it.
	lastAt   time.Time
	lastStep string
}

// NewIncident is the empty state of an incident's stream, for the repository.
func NewIncident(id string) *Incident { return &Incident{id: id, taken: map[string]bool{}} }

// ID is the incident's ID.
func (i *Incident) ID() string { return i.id }

// Status is the incident's state.
func (i *Incident) Status() Status { return i.status }

// Locality is the patient's locality (their GP practice's, else where they fell).
func (i *Incident) Locality() string { return i.locality }

// IncidentLocality is the locality the patient fell in.
func (i *Incident) IncidentLocality() string { return i.incidentLocality }

// Patient is the patient as far as known.
func (i *Incident) Patient() Patient { return i.patient }

// Assignment is the unit now assigned, if any.
func (i *Incident) Assignment() (Assignment, bool) { return i.assignment, i.assigned }

// EndedAssignment is the last unit whose assignment ended (stood down or
// outcome recorded), if the incident has no unit now: the one to release.
func (i *Incident) EndedAssignment() (Assignment, bool) {
	return i.assignment, !i.assigned && i.assignment.ID != ""
}

// HasTaken reports whether the incident took an assignment.
func (i *Incident) HasTaken(assignmentID string) bool { return i.taken[assignmentID] }

// describe names the state for "cannot ...: it is <state>" messages; the
// code in brackets is the status a client sees.
func (i *Incident) describe() string {
	var s string
	switch i.status {
	case "":
		return "not reported"
	case StatusAlertReceived:
		s = "awaiting triage"
	case StatusTriaged:
		s = "triaged with injury or red flags and must be escalated to 999"
	case StatusEscalated999:
		s = "escalated to 999"
	case StatusQueued:
		lvl, _ := i.response.Level()
		s = "queued for a " + strings.ToLower(strings.ReplaceAll(string(lvl), "_", " ")) + " responder"
	case StatusDispatched:
		s = "dispatched"
	case StatusEnRoute:
		s = "en route"
	case StatusOnScene:
		s = "on scene"
	case StatusOutcomeRecorded:
		s = "finished with its outcome recorded"
	case StatusClosed:
		s = "closed"
	}
	return fmt.Sprintf("%s (%s)", s, i.status)
}

func (i *Incident) illegal(what, slug string) error {
	return errs.IllegalStep(what, i.describe(), slug)
}

// stepAt checks a step's business time: not in the future, not before the
// step before it.
func (i *Incident) stepAt(field string, at, now time.Time) error {
	if err := notFuture(field, at, now); err != nil {
		return err
	}
	return notBefore(field, at, i.lastAt, i.lastStep)
}

func (i *Incident) in(states ...Status) bool {
	for _, s := range states {
		if i.status == s {
			return true
		}
	}
	return false
}

// NewFall is a validated fall report.
type NewFall struct {
	Source    Source
	AlertedAt time.Time
	// EstimatedFallAt is zero when unknown.
	EstimatedFallAt  time.Time
	Address          Address
	IncidentLocality string
	Patient          Patient
	// Locality is the patient's: their GP practice's, else IncidentLocality.
	Locality string
}

// maxLieBeforeAlert bounds an estimated fall time: a longer gap is far more
// likely a mistyped date than a lie of more than a week.
const maxLieBeforeAlert = 7 * 24 * time.Hour

// Report opens the incident.
func (i *Incident) Report(exists bool, f NewFall, by string, now time.Time) ([]aggregate.Event, error) {
	if exists {
		return nil, errs.Conflict("this incident is already reported", "incident-exists")
	}
	if err := notFuture("alertedAt", f.AlertedAt, now); err != nil {
		return nil, err
	}
	var fell *time.Time
	if !f.EstimatedFallAt.IsZero() {
		if f.EstimatedFallAt.After(f.AlertedAt) {
			return nil, errs.Invalid("estimatedFallAt", "is after the alert: a fall is reported after it happens", "fall-after-alert")
		}
		if f.AlertedAt.Sub(f.EstimatedFallAt) > maxLieBeforeAlert {
			return nil, errs.Invalid("estimatedFallAt", "is more than a week before the alert: check the date", "fall-too-early")
		}
		t := f.EstimatedFallAt
		fell = &t
	}
	return []aggregate.Event{FallReported{
		IncidentID: i.id, Source: f.Source, AlertedAt: f.AlertedAt, EstimatedFallAt: fell, Address: f.Address,
		IncidentLocality: f.IncidentLocality, Patient: f.Patient, Locality: f.Locality, ReportedBy: by,
	}}, nil
}

// LinkPatient identifies the patient (or corrects who it is) while the
// incident is open; locality is the patient's.
func (i *Incident) LinkPatient(p Patient, locality, by string, at time.Time) ([]aggregate.Event, error) {
	if !i.status.Open() {
		return nil, i.illegal("link the patient", "incident-state")
	}
	if !p.Known() {
		return nil, errs.Invalid("patient", "give at least an NHS number, a name or a date of birth", "patient-empty")
	}
	return []aggregate.Event{FallPatientLinked{IncidentID: i.id, Patient: p, Locality: locality, LinkedAt: at, LinkedBy: by}}, nil
}

const maxNotesLength = 2000

// Triage records the ISTUMBLE answers. Injury or any red flag leaves the
// incident TRIAGED, to be escalated to 999; otherwise it is queued for the
// level the answers decide. A queued incident may be triaged again when the
// caller rings back; an incident triaged for 999 may not be talked down.
func (i *Incident) Triage(flags []RedFlag, injury Injury, notes, by string, at, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusAlertReceived, StatusQueued) {
		return nil, i.illegal("triage the fall", "incident-state")
	}
	if err := i.stepAt("triagedAt", at, now); err != nil {
		return nil, err
	}
	n, err := optionalText("notes", notes, maxNotesLength)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{FallTriaged{
		IncidentID: i.id, RedFlags: flags, Injury: injury, Response: DecideResponse(flags, injury),
		Notes: n, TriagedAt: at, TriagedBy: by,
	}}, nil
}

// EscalateTo999 hands the incident to the ambulance service, keeping the line
// open. Escalating is always allowed while the response is under way: it
// adds care, never removes it. A unit on its way is stood down; a unit on
// scene stays with the patient until the outcome.
func (i *Incident) EscalateTo999(reason, ambulanceRef, by string, at, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusAlertReceived, StatusTriaged, StatusQueued, StatusDispatched, StatusEnRoute, StatusOnScene) {
		return nil, i.illegal("escalate to 999", "incident-state")
	}
	if err := i.stepAt("escalatedAt", at, now); err != nil {
		return nil, err
	}
	r, err := optionalText("reason", reason, maxNotesLength)
	if err != nil {
		return nil, err
	}
	ref, err := optionalText("ambulanceReference", ambulanceRef, 50)
	if err != nil {
		return nil, err
	}
	e := FallEscalatedTo999{IncidentID: i.id, Reason: r, AmbulanceReference: ref, LineKeptOpen: true, EscalatedAt: at, EscalatedBy: by}
	if i.in(StatusDispatched, StatusEnRoute) {
		e.StandDown = &AssignmentRef{AssignmentID: i.assignment.ID, ResponderID: i.assignment.ResponderID}
	}
	return []aggregate.Event{e}, nil
}

// CanDispatch checks, without recording anything, that a unit of the given
// level may be sent at the given time: the incident is queued and the unit
// covers the level triage decided. A red-flag incident takes no falls unit
// at all.
func (i *Incident) CanDispatch(unitLevel Level, at, now time.Time) error {
	switch i.status {
	case StatusQueued:
	case StatusTriaged:
		return i.illegal("dispatch a falls responder", "red-flags-need-999")
	case StatusAlertReceived:
		return i.illegal("dispatch a responder", "not-triaged")
	case StatusDispatched, StatusEnRoute, StatusOnScene:
		return i.illegal("dispatch another responder", "already-dispatched")
	default:
		return i.illegal("dispatch a responder", "incident-state")
	}
	need, _ := i.response.Level()
	if !unitLevel.Covers(need) {
		return errs.Invalid("responderId", "this incident needs a level 2 clinical (UCR) unit; the unit is a level 1 lifting responder", "responder-level")
	}
	return i.stepAt("dispatchedAt", at, now)
}

// Dispatch takes a unit's assignment.
func (i *Incident) Dispatch(a Assignment, by string, now time.Time) ([]aggregate.Event, error) {
	if i.taken[a.ID] {
		return nil, errs.Invalid("assignmentId", "this assignment was already taken", "assignment-used")
	}
	if err := i.CanDispatch(a.Level, a.DispatchedAt, now); err != nil {
		return nil, err
	}
	return []aggregate.Event{FallResponderDispatched{
		IncidentID: i.id, AssignmentID: a.ID, ResponderID: a.ResponderID, CallSign: a.CallSign, Level: a.Level,
		DispatchedAt: a.DispatchedAt, DispatchedBy: by,
	}}, nil
}

// CancelDispatch stands the unit down before it arrives; the incident is
// queued again.
func (i *Incident) CancelDispatch(reason, by string, at, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusDispatched, StatusEnRoute) {
		return nil, i.illegal("stand the responder down", "incident-state")
	}
	if err := i.stepAt("cancelledAt", at, now); err != nil {
		return nil, err
	}
	r, err := optionalText("reason", reason, maxNotesLength)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{FallDispatchCancelled{
		IncidentID: i.id, AssignmentID: i.assignment.ID, ResponderID: i.assignment.ResponderID, Reason: r,
		CancelledAt: at, CancelledBy: by,
	}}, nil
}

// EnRoute records the unit on its way.
func (i *Incident) EnRoute(by string, at, now time.Time) ([]aggregate.Event, error) {
	if i.status != StatusDispatched {
		return nil, i.illegal("record the responder en route", "incident-state")
	}
	if err := i.stepAt("enRouteAt", at, now); err != nil {
		return nil, err
	}
	return []aggregate.Event{FallResponderEnRoute{IncidentID: i.id, AssignmentID: i.assignment.ID,
		ResponderID: i.assignment.ResponderID, EnRouteAt: at, RecordedBy: by}}, nil
}

// OnScene records the unit's arrival (a crew that forgot to report en route
// may arrive straight from dispatched) and, when given, the lift.
func (i *Incident) OnScene(by string, arrivedAt, liftedAt, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusDispatched, StatusEnRoute) {
		return nil, i.illegal("record the responder on scene", "incident-state")
	}
	if err := i.stepAt("arrivedAt", arrivedAt, now); err != nil {
		return nil, err
	}
	evs := []aggregate.Event{FallResponderOnScene{IncidentID: i.id, AssignmentID: i.assignment.ID,
		ResponderID: i.assignment.ResponderID, ArrivedAt: arrivedAt, RecordedBy: by}}
	if !liftedAt.IsZero() {
		if err := notFuture("liftedAt", liftedAt, now); err != nil {
			return nil, err
		}
		if err := notBefore("liftedAt", liftedAt, arrivedAt, "arrival"); err != nil {
			return nil, err
		}
		evs = append(evs, FallPatientLifted{IncidentID: i.id, LiftedAt: liftedAt, RecordedBy: by})
	}
	return evs, nil
}

// RecordLift stops the time-on-the-floor clock: the unit on scene lifted
// the patient, or, after a 999 escalation, the ambulance crew did.
func (i *Incident) RecordLift(equipment, by string, at, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusOnScene, StatusEscalated999) {
		return nil, i.illegal("record the lift", "incident-state")
	}
	if !i.liftedAt.IsZero() {
		return nil, errs.IllegalStep("record the lift", "already recorded", "already-lifted")
	}
	if err := i.stepAt("liftedAt", at, now); err != nil {
		return nil, err
	}
	eq, err := optionalText("equipment", equipment, 200)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{FallPatientLifted{IncidentID: i.id, LiftedAt: at, Equipment: eq, RecordedBy: by}}, nil
}

// OutcomeInput is a validated outcome, before the state machine checks it.
type OutcomeInput struct {
	Outcome      Outcome
	ReferTo      []ReferTo
	ClinicalNeed string
}

const maxClinicalNeedLength = 200

// RecordOutcome ends the response. The receiving services act on REFERRED
// and STEP_UP_BED, and can only act for an identified patient: those need
// the NHS number and name linked first.
func (i *Incident) RecordOutcome(o OutcomeInput, by string, at, now time.Time) ([]aggregate.Event, error) {
	if !i.in(StatusOnScene, StatusEscalated999) {
		return nil, i.illegal("record the outcome", "incident-state")
	}
	if err := i.stepAt("recordedAt", at, now); err != nil {
		return nil, err
	}
	need, err := optionalText("clinicalNeed", o.ClinicalNeed, maxClinicalNeedLength)
	if err != nil {
		return nil, err
	}
	switch o.Outcome {
	case OutcomeLiftedLeftAtHome:
		if i.liftedAt.IsZero() {
			return nil, errs.Invalid("outcome", "record the lift first: a patient left at home was lifted", "lift-not-recorded")
		}
	case OutcomeReferred:
		if len(o.ReferTo) == 0 {
			return nil, errs.Invalid("referTo", "name the services the patient is referred to", "refer-to-required")
		}
	case OutcomeStepUpBed:
		if need == nil {
			return nil, errs.Invalid("clinicalNeed", "say what the step-up bed is for: the bed manager decides on it", "clinical-need-required")
		}
	}
	if o.Outcome != OutcomeReferred && len(o.ReferTo) > 0 {
		return nil, errs.Invalid("referTo", "only a REFERRED outcome refers the patient on", "refer-to-not-referred")
	}
	if (o.Outcome == OutcomeReferred || o.Outcome == OutcomeStepUpBed) && !i.patient.Identified() {
		return nil, errs.Invalid("outcome", "link the patient's NHS number and name first: the receiving service needs them to act", "patient-not-identified")
	}
	referTo := o.ReferTo
	if referTo == nil {
		referTo = []ReferTo{}
	}
	return []aggregate.Event{FallOutcomeRecorded{
		IncidentID: i.id, Patient: i.patient, Locality: i.locality, Outcome: o.Outcome, ReferTo: referTo,
		ClinicalNeed: need, RecordedAt: at, RecordedBy: by,
	}}, nil
}

// Close ends the incident: COMPLETED once the outcome is recorded; a
// duplicate alert or a false alarm before any unit is sent.
func (i *Incident) Close(reason CloseReason, by string, at, now time.Time) ([]aggregate.Event, error) {
	switch reason {
	case CloseCompleted:
		if i.status != StatusOutcomeRecorded {
			return nil, i.illegal("close the incident before its outcome is recorded", "outcome-not-recorded")
		}
	default:
		if !i.in(StatusAlertReceived, StatusTriaged, StatusQueued) {
			return nil, i.illegal("close the incident as "+strings.ToLower(strings.ReplaceAll(string(reason), "_", " ")), "incident-state")
		}
	}
	if err := i.stepAt("closedAt", at, now); err != nil {
		return nil, err
	}
	return []aggregate.Event{FallClosed{IncidentID: i.id, Reason: reason, ClosedAt: at, ClosedBy: by}}, nil
}

func (i *Incident) step(name string, at time.Time) {
	if at.After(i.lastAt) {
		i.lastAt = at
	}
	i.lastStep = name
}

// Apply folds an event into the incident.
func (i *Incident) Apply(e aggregate.Event) {
	switch e := e.(type) {
	case FallReported:
		i.status = StatusAlertReceived
		i.incidentLocality, i.patient, i.locality = e.IncidentLocality, e.Patient, e.Locality
		i.step("alert", e.AlertedAt)
	case FallPatientLinked:
		i.patient, i.locality = e.Patient, e.Locality
	case FallTriaged:
		i.response = e.Response
		i.status = StatusQueued
		if e.Response == Response999 {
			i.status = StatusTriaged
		}
		i.step("triage", e.TriagedAt)
	case FallEscalatedTo999:
		i.status = StatusEscalated999
		if e.StandDown != nil {
			i.assigned = false
		}
		i.step("escalation", e.EscalatedAt)
	case FallResponderDispatched:
		i.status = StatusDispatched
		i.assignment = Assignment{ID: e.AssignmentID, ResponderID: e.ResponderID, CallSign: e.CallSign, Level: e.Level, DispatchedAt: e.DispatchedAt}
		i.assigned = true
		i.taken[e.AssignmentID] = true
		i.step("dispatch", e.DispatchedAt)
	case FallDispatchCancelled:
		i.status = StatusQueued
		i.assigned = false
		i.step("stand-down", e.CancelledAt)
	case FallResponderEnRoute:
		i.status = StatusEnRoute
		i.step("en route report", e.EnRouteAt)
	case FallResponderOnScene:
		i.status = StatusOnScene
		i.step("arrival", e.ArrivedAt)
	case FallPatientLifted:
		i.liftedAt = e.LiftedAt
		i.step("lift", e.LiftedAt)
	case FallOutcomeRecorded:
		i.status = StatusOutcomeRecorded
		i.assigned = false
		i.step("outcome", e.RecordedAt)
	case FallClosed:
		i.status = StatusClosed
		i.assigned = false
		i.step("closure", e.ClosedAt)
	}
}

// optionalText trims free text and bounds its length; empty is nil.
func optionalText(field, s string, max int) (*string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(s) > max {
		return nil, errs.Invalid(field, fmt.Sprintf("is too long (at most %d characters)", max), "text-too-long")
	}
	return &s, nil
}
