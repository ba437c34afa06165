package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
)

// Episode is one patient's episode of care on a locality's caseload. Its
// visits live inside it (see DESIGN.md): closing the episode must settle
// every planned visit in the same append, and one team works one episode,
// so the stream sees little contention.
type Episode struct {
	id       string
	version  int64
	status   Status
	opened   EpisodeOpened
	locality string

	keyworker *Clinician
	team      string

	visits          map[string]*Visit
	visitOrder      []string
	carePlanVersion int
	discussions     map[string]bool

	transferredTo string

	// Suspension: where to resume to, since when, and for which stay.
	resumeTo    Status
	suspendedAt time.Time
	stayID      string
}

// Visit is a visit inside an episode.
type Visit struct {
	id        string
	plannedAt time.Time
	clinician Clinician
	status    VisitStatus
}

// NewEpisode is the empty state of episode id, before its first event.
// Loading goes through it and Apply only; there is no other way in.
func NewEpisode(id string) *Episode {
	return &Episode{id: id, version: -1, visits: map[string]*Visit{}, discussions: map[string]bool{}}
}

// ID is the episode's ID.
func (e *Episode) ID() string { return e.id }

// Version is the stream revision of the last event applied (-1: none).
func (e *Episode) Version() int64 { return e.version }

// Status is the current state.
func (e *Episode) Status() Status { return e.status }

// Exists reports whether the episode was opened.
func (e *Episode) Exists() bool { return e.status != "" }

// Locality is the locality whose caseload holds the episode.
func (e *Episode) Locality() string { return e.locality }

// Opened is how the episode began (patient, reason, referral).
func (e *Episode) Opened() EpisodeOpened { return e.opened }

// Keyworker is the named keyworker, if allocated.
func (e *Episode) Keyworker() (Clinician, bool) {
	if e.keyworker == nil {
		return Clinician{}, false
	}
	return *e.keyworker, true
}

// TransferredToLocality is the locality a transferred episode went to
// ("" when it went to another service, or was not transferred).
func (e *Episode) TransferredToLocality() string { return e.transferredTo }

// SuspendedForStay is the bed stay that suspended the episode ("" for a
// suspension recorded by hand).
func (e *Episode) SuspendedForStay() string { return e.stayID }

// NewEpisodeInput is what opening an episode needs, already validated into
// domain values by the caller (NewPatient, the locality registry).
type NewEpisodeInput struct {
	Patient                  Patient
	Locality                 string
	ReferralID               string
	TransferredFromEpisodeID string
	ServiceRequested         string
	Priority                 string
	UCR                      bool
	Reason                   Reason
	OpenedAt                 time.Time
}

// Open puts the patient on the caseload, awaiting a keyworker.
func (e *Episode) Open(in NewEpisodeInput) ([]aggregate.Event, error) {
	if e.Exists() {
		return nil, errs.IllegalStep("open the episode", string(e.status), "episode-already-open")
	}
	if in.Patient.NHSNumber == "" {
		return nil, errs.Invalid("patient.nhsNumber", "is required to open a caseload episode", "nhs-number-required")
	}
	if in.Locality == "" {
		return nil, errs.Invalid("locality", "is required", "locality-required")
	}
	if in.ReferralID == "" && in.TransferredFromEpisodeID == "" {
		return nil, errs.Invalid("referralId", "an episode is opened from an accepted referral or a transfer", "episode-source-required")
	}
	if in.OpenedAt.IsZero() {
		return nil, errs.Invalid("openedAt", "is required", "opened-at-required")
	}
	return []aggregate.Event{EpisodeOpened{
		EpisodeID: e.id, Patient: in.Patient, Locality: in.Locality, ReferralID: in.ReferralID,
		TransferredFromEpisodeID: in.TransferredFromEpisodeID, ServiceRequested: in.ServiceRequested,
		Priority: in.Priority, UCR: in.UCR, Reason: in.Reason, OpenedAt: in.OpenedAt.UTC(),
	}}, nil
}

// mustBe rejects the step unless the episode is in one of the statuses.
func (e *Episode) mustBe(what string, allowed ...Status) error {
	if !e.Exists() {
		return errs.NotFound("there is no such caseload episode", "episode-not-found")
	}
	for _, s := range allowed {
		if e.status == s {
			return nil
		}
	}
	return errs.IllegalStep(what, string(e.status), "episode-"+strings.ToLower(strings.ReplaceAll(string(e.status), "_", "-")))
}

// AssignKeyworker names the episode's keyworker and team: the first
// allocation, or a handover to another keyworker at any point while the
// patient is on the caseload.
func (e *Episode) AssignKeyworker(k Clinician, team string, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("assign a keyworker", OpenStatuses...); err != nil {
		return nil, err
	}
	team = strings.TrimSpace(team)
	if team == "" {
		return nil, errs.Invalid("team", "is required", "team-required")
	}
	if utf8.RuneCountInString(team) > 200 {
		return nil, errs.Invalid("team", "is too long", "team-length")
	}
	if e.keyworker != nil && *e.keyworker == k && e.team == team {
		return nil, errs.Invalid("keyworkerId", "is already the keyworker", "keyworker-unchanged")
	}
	ev := KeyworkerAssigned{EpisodeID: e.id, Keyworker: k, Team: team, AssignedAt: at.UTC()}
	if e.keyworker != nil {
		prev := *e.keyworker
		ev.Previous = &prev
	}
	return []aggregate.Event{ev}, nil
}

// UpdateCarePlan agrees a new version of the care plan. The first version
// marks the assessment done: an allocated episode becomes active. While the
// patient is in a bed the plan waits for them to come home and be
// reassessed.
func (e *Episode) UpdateCarePlan(goals []string, nextReview Date, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("update the care plan", Allocated, Active, UnderReview); err != nil {
		return nil, err
	}
	clean, err := cleanGoals(goals)
	if err != nil {
		return nil, err
	}
	if nextReview == "" {
		return nil, errs.Invalid("nextReviewDate", "is required", "review-date-required")
	}
	if !DateOf(at).Before(nextReview) {
		return nil, errs.Invalid("nextReviewDate", "must be after the day the plan is agreed", "review-date-not-future")
	}
	if nextReview.Start().After(at.AddDate(1, 0, 1)) {
		return nil, errs.Invalid("nextReviewDate", "must be within a year: plans are reviewed at least yearly", "review-date-too-far")
	}
	evs := []aggregate.Event{CarePlanUpdated{EpisodeID: e.id, Version: e.carePlanVersion + 1, Goals: clean, NextReviewDate: nextReview, AgreedAt: at.UTC()}}
	if e.status == Allocated {
		evs = append(evs, EpisodeActivated{EpisodeID: e.id, ActivatedAt: at.UTC()})
	}
	return evs, nil
}

func cleanGoals(goals []string) ([]string, error) {
	var out []string
	for _, g := range goals {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if utf8.RuneCountInString(g) > 500 {
			return nil, errs.Invalid("goals", "each goal is at most 500 characters", "goal-length")
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, errs.Invalid("goals", "a care plan has at least one goal", "goals-required")
	}
	if len(out) > 20 {
		return nil, errs.Invalid("goals", "a care plan has at most 20 goals", "goals-too-many")
	}
	return out, nil
}

// StartReview brings an active episode to the MDT.
func (e *Episode) StartReview(reason ReviewReason, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("start a review", Active); err != nil {
		return nil, err
	}
	return []aggregate.Event{ReviewStarted{EpisodeID: e.id, Reason: reason, StartedAt: at.UTC()}}, nil
}

// MdtDiscussion is a discussion to record.
type MdtDiscussion struct {
	ID          string
	DiscussedAt time.Time
	Attendees   []MdtAttendee
	Actions     []MdtAction
	// ConcludesReview ends the review the episode is under: care goes on.
	ConcludesReview bool
}

// RecordMdtDiscussion records an MDT discussion of the patient; one that
// concludes a review returns the episode to active care.
func (e *Episode) RecordMdtDiscussion(d MdtDiscussion, now time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("record an MDT discussion", Allocated, Active, UnderReview, Suspended); err != nil {
		return nil, err
	}
	if d.ConcludesReview && e.status != UnderReview {
		return nil, errs.IllegalStep("conclude a review", string(e.status), "not-under-review")
	}
	if e.discussions[d.ID] {
		return nil, errs.Invalid("discussionId", "this discussion is already recorded", "discussion-exists")
	}
	if d.DiscussedAt.IsZero() {
		return nil, errs.Invalid("discussedAt", "is required", "discussed-at-required")
	}
	if d.DiscussedAt.After(now.Add(clockSkew)) {
		return nil, errs.Invalid("discussedAt", "cannot be in the future", "discussed-at-future")
	}
	if d.DiscussedAt.Before(e.opened.OpenedAt) {
		return nil, errs.Invalid("discussedAt", "is before the episode was opened", "discussed-at-before-open")
	}
	if len(d.Attendees) < 2 {
		return nil, errs.Invalid("attendees", "an MDT discussion has at least two attendees", "attendees-too-few")
	}
	if len(d.Attendees) > 30 {
		return nil, errs.Invalid("attendees", "at most 30 attendees", "attendees-too-many")
	}
	if len(d.Actions) > 30 {
		return nil, errs.Invalid("actions", "at most 30 actions", "actions-too-many")
	}
	for i := range d.Actions {
		d.Actions[i].Description = strings.TrimSpace(d.Actions[i].Description)
		if d.Actions[i].Description == "" {
			return nil, errs.Invalid("actions.description", "every action says what is to be done", "action-description-required")
		}
		if utf8.RuneCountInString(d.Actions[i].Description) > 500 {
			return nil, errs.Invalid("actions.description", "is at most 500 characters", "action-description-length")
		}
	}
	evs := []aggregate.Event{MdtDiscussionRecorded{EpisodeID: e.id, DiscussionID: d.ID, DiscussedAt: d.DiscussedAt.UTC(),
		Attendees: d.Attendees, Actions: nonNil(d.Actions)}}
	if d.ConcludesReview {
		evs = append(evs, ReviewConcluded{EpisodeID: e.id, DiscussionID: d.ID, ConcludedAt: d.DiscussedAt.UTC()})
	}
	return evs, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// clockSkew is how far "now" in a request may run ahead of the server's
// clock before a time is called the future.
const clockSkew = 5 * time.Minute

// Suspension is why and for which stay care pauses.
type Suspension struct {
	Reason     SuspensionReason
	StayID     string
	HospitalID string
	At         time.Time
}

// Suspend pauses care while the patient is in a bed. Visits stay planned:
// which of them fall inside the stay is only known when the patient comes
// home (Resume).
func (e *Episode) Suspend(s Suspension) ([]aggregate.Event, error) {
	if err := e.mustBe("suspend the episode", AwaitingAllocation, Allocated, Active, UnderReview); err != nil {
		return nil, err
	}
	if s.At.IsZero() {
		return nil, errs.Invalid("at", "is required", "suspended-at-required")
	}
	return []aggregate.Event{EpisodeSuspended{EpisodeID: e.id, Reason: s.Reason, StayID: s.StayID, HospitalID: s.HospitalID,
		PreviousStatus: e.status, SuspendedAt: s.At.UTC()}}, nil
}

// Resume restarts care where it was before the admission. Visits planned
// for the time the patient was in, and still planned, are cancelled: they
// could not have happened.
func (e *Episode) Resume(at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("resume the episode", Suspended); err != nil {
		return nil, err
	}
	if at.Before(e.suspendedAt) {
		return nil, errs.Invalid("at", "is before the episode was suspended", "resumed-before-suspended")
	}
	var cancelled []string
	for _, id := range e.visitOrder {
		v := e.visits[id]
		if v.status == VisitPlanned && !v.plannedAt.Before(e.suspendedAt) && v.plannedAt.Before(at) {
			cancelled = append(cancelled, id)
		}
	}
	return []aggregate.Event{EpisodeResumed{EpisodeID: e.id, ResumedTo: e.resumeTo, CancelledVisitIDs: nonNil(cancelled), ResumedAt: at.UTC()}}, nil
}

// plannedVisits are the visits a closing episode cancels.
func (e *Episode) plannedVisits() []string {
	out := []string{}
	for _, id := range e.visitOrder {
		if e.visits[id].status == VisitPlanned {
			out = append(out, id)
		}
	}
	return out
}

// Transfer hands care to another locality's team (toLocality, already
// validated as a different known locality) or to another service.
func (e *Episode) Transfer(toLocality, toService string, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("transfer the episode", OpenStatuses...); err != nil {
		return nil, err
	}
	toService = strings.TrimSpace(toService)
	if (toLocality == "") == (toService == "") {
		return nil, errs.Invalid("toLocalityId", "give either the locality or the service the patient moves to", "transfer-target")
	}
	if toLocality == e.locality {
		return nil, errs.Invalid("toLocalityId", "is the episode's own locality", "transfer-same-locality")
	}
	if utf8.RuneCountInString(toService) > 200 {
		return nil, errs.Invalid("toService", "is too long", "service-length")
	}
	return []aggregate.Event{EpisodeTransferred{EpisodeID: e.id, ToLocality: toLocality, ToService: toService,
		CancelledVisitIDs: e.plannedVisits(), TransferredAt: at.UTC()}}, nil
}

// Discharge takes the patient off the caseload with an outcome.
func (e *Episode) Discharge(outcome DischargeOutcome, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("discharge from the caseload", OpenStatuses...); err != nil {
		return nil, err
	}
	return []aggregate.Event{EpisodeDischarged{EpisodeID: e.id, Outcome: outcome, CancelledVisitIDs: e.plannedVisits(), DischargedAt: at.UTC()}}, nil
}

// RecordDeath closes the episode: the patient died on dateOfDeath.
func (e *Episode) RecordDeath(dateOfDeath Date, at time.Time) ([]aggregate.Event, error) {
	if err := e.mustBe("record a death", OpenStatuses...); err != nil {
		return nil, err
	}
	if dateOfDeath == "" {
		return nil, errs.Invalid("dateOfDeath", "is required", "date-of-death-required")
	}
	if DateOf(at).Before(dateOfDeath) {
		return nil, errs.Invalid("dateOfDeath", "cannot be in the future", "date-of-death-future")
	}
	if dateOfDeath.Before(DateOf(e.opened.OpenedAt)) {
		return nil, errs.Invalid("dateOfDeath", "is before the episode was opened", "date-of-death-before-open")
	}
	return []aggregate.Event{DeathRecorded{EpisodeID: e.id, DateOfDeath: dateOfDeath, CancelledVisitIDs: e.plannedVisits(), RecordedAt: at.UTC()}}, nil
}

// Apply folds an event into the state. It never fails: events are facts.
func (e *Episode) Apply(ev aggregate.Event) {
	e.version++
	switch ev := ev.(type) {
	case EpisodeOpened:
		e.status = AwaitingAllocation
		e.opened = ev
		e.locality = ev.Locality
	case KeyworkerAssigned:
		k := ev.Keyworker
		e.keyworker, e.team = &k, ev.Team
		if e.status == AwaitingAllocation {
			e.status = Allocated
		} else if e.status == Suspended && e.resumeTo == AwaitingAllocation {
			e.resumeTo = Allocated
		}
	case VisitsScheduled:
		for _, v := range ev.Visits {
			e.visits[v.VisitID] = &Visit{id: v.VisitID, plannedAt: v.PlannedAt, clinician: v.Clinician, status: VisitPlanned}
			e.visitOrder = append(e.visitOrder, v.VisitID)
		}
	case VisitOutcomeRecorded:
		if v, ok := e.visits[ev.VisitID]; ok {
			v.status = ev.Outcome
		}
	case VisitsReassigned:
		for _, r := range ev.Visits {
			if v, ok := e.visits[r.VisitID]; ok {
				v.clinician = ev.To
			}
		}
	case CarePlanUpdated:
		e.carePlanVersion = ev.Version
	case EpisodeActivated:
		e.status = Active
	case ReviewStarted:
		e.status = UnderReview
	case MdtDiscussionRecorded:
		e.discussions[ev.DiscussionID] = true
	case ReviewConcluded:
		e.status = Active
	case EpisodeSuspended:
		e.resumeTo, e.status, e.suspendedAt, e.stayID = ev.PreviousStatus, Suspended, ev.SuspendedAt, ev.StayID
	case EpisodeResumed:
		e.cancel(ev.CancelledVisitIDs)
		e.status, e.resumeTo, e.suspendedAt, e.stayID = ev.ResumedTo, "", time.Time{}, ""
	case EpisodeTransferred:
		e.cancel(ev.CancelledVisitIDs)
		e.status, e.transferredTo = Transferred, ev.ToLocality
	case EpisodeDischarged:
		e.cancel(ev.CancelledVisitIDs)
		e.status = Discharged
	case DeathRecorded:
		e.cancel(ev.CancelledVisitIDs)
		e.status = Deceased
	}
}

func (e *Episode) cancel(ids []string) {
	for _, id := range ids {
		if v, ok := e.visits[id]; ok {
			v.status = VisitCancelled
		}
	}
}
