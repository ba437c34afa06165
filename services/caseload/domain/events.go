package domain

import (
	"time"

	"carecoord/pkg/aggregate"
)

// The events of an episode, stream "episode-<id>". Type strings are never
// renamed or reused; a new shape is a v2 with an upcaster. Every one is
// published: its JSON Schema is in schemas/events/caseload/.

// EpisodeOpened: an accepted referral (or a transfer from another locality)
// put the patient on the locality's caseload, awaiting a keyworker.
type EpisodeOpened struct {
	EpisodeID string  `json:"episodeId"`
	Patient   Patient `json:"patient"`
	Locality  string  `json:"locality"`
	// ReferralID is the accepted referral the episode came from.
	ReferralID string `json:"referralId,omitempty"`
	// TransferredFromEpisodeID is the episode of another locality that
	// handed the patient on.
	TransferredFromEpisodeID string    `json:"transferredFromEpisodeId,omitempty"`
	ServiceRequested         string    `json:"serviceRequested,omitempty"`
	Priority                 string    `json:"priority,omitempty"`
	UCR                      bool      `json:"ucr"`
	Reason                   Reason    `json:"reason"`
	OpenedAt                 time.Time `json:"openedAt"`
}

// KeyworkerAssigned: a named keyworker in a team took the episode on (or
// took it over from Previous).
type KeyworkerAssigned struct {
	EpisodeID  string     `json:"episodeId"`
	Keyworker  Clinician  `json:"keyworker"`
	Team       string     `json:"team"`
	Previous   *Clinician `json:"previousKeyworker,omitempty"`
	AssignedAt time.Time  `json:"assignedAt"`
}

// ScheduledVisit is one visit of VisitsScheduled.
type ScheduledVisit struct {
	VisitID         string       `json:"visitId"`
	PlannedAt       time.Time    `json:"plannedAt"`
	DurationMinutes int          `json:"durationMinutes"`
	Purpose         VisitPurpose `json:"purpose"`
	Clinician       Clinician    `json:"clinician"`
}

// Recurrence is how a series of visits repeats.
type Recurrence struct {
	Frequency   Frequency `json:"frequency"`
	Occurrences int       `json:"occurrences"`
}

// VisitsScheduled: one visit, or a recurring series of them, was planned.
// Each visit is its own entity from here on.
type VisitsScheduled struct {
	EpisodeID   string           `json:"episodeId"`
	SeriesID    string           `json:"seriesId,omitempty"`
	Recurrence  *Recurrence      `json:"recurrence,omitempty"`
	Visits      []ScheduledVisit `json:"visits"`
	ScheduledAt time.Time        `json:"scheduledAt"`
}

// VisitOutcomeRecorded: a planned visit was completed, cancelled, not
// possible (no access) or declined by the patient.
type VisitOutcomeRecorded struct {
	EpisodeID          string             `json:"episodeId"`
	VisitID            string             `json:"visitId"`
	Outcome            VisitStatus        `json:"outcome"`
	CancellationReason CancellationReason `json:"cancellationReason,omitempty"`
	At                 time.Time          `json:"at"`
}

// Reassignment is one visit of VisitsReassigned and who had it before.
type Reassignment struct {
	VisitID string    `json:"visitId"`
	From    Clinician `json:"from"`
}

// VisitsReassigned: planned visits moved to another clinician.
type VisitsReassigned struct {
	EpisodeID    string         `json:"episodeId"`
	Visits       []Reassignment `json:"visits"`
	To           Clinician      `json:"to"`
	ReassignedAt time.Time      `json:"reassignedAt"`
}

// CarePlanUpdated: a new version of the care plan was agreed. Versions
// count from 1; the first one makes an allocated episode active.
type CarePlanUpdated struct {
	EpisodeID      string    `json:"episodeId"`
	Version        int       `json:"version"`
	Goals          []string  `json:"goals"`
	NextReviewDate Date      `json:"nextReviewDate"`
	AgreedAt       time.Time `json:"agreedAt"`
}

// EpisodeActivated: assessment done and care plan agreed.
type EpisodeActivated struct {
	EpisodeID   string    `json:"episodeId"`
	ActivatedAt time.Time `json:"activatedAt"`
}

// ReviewStarted: the episode was brought to the MDT for review.
type ReviewStarted struct {
	EpisodeID string       `json:"episodeId"`
	Reason    ReviewReason `json:"reason"`
	StartedAt time.Time    `json:"startedAt"`
}

// MdtAttendee is who took part in an MDT discussion.
type MdtAttendee struct {
	Role MdtRole `json:"role"`
	Name string  `json:"name,omitempty"`
}

// MdtAction is an action agreed at an MDT discussion, with its owner.
type MdtAction struct {
	Description string  `json:"description"`
	OwnerRole   MdtRole `json:"ownerRole"`
	OwnerName   string  `json:"ownerName,omitempty"`
	DueDate     Date    `json:"dueDate,omitempty"`
}

// MdtDiscussionRecorded: the multidisciplinary team discussed the patient.
type MdtDiscussionRecorded struct {
	EpisodeID    string        `json:"episodeId"`
	DiscussionID string        `json:"discussionId"`
	DiscussedAt  time.Time     `json:"discussedAt"`
	Attendees    []MdtAttendee `json:"attendees"`
	Actions      []MdtAction   `json:"actions"`
}

// ReviewConcluded: an MDT discussion ended the review; care goes on.
type ReviewConcluded struct {
	EpisodeID    string    `json:"episodeId"`
	DiscussionID string    `json:"discussionId"`
	ConcludedAt  time.Time `json:"concludedAt"`
}

// EpisodeSuspended: the patient was admitted; care pauses and resumes to
// PreviousStatus.
type EpisodeSuspended struct {
	EpisodeID      string           `json:"episodeId"`
	Reason         SuspensionReason `json:"reason"`
	StayID         string           `json:"stayId,omitempty"`
	HospitalID     string           `json:"hospitalId,omitempty"`
	PreviousStatus Status           `json:"previousStatus"`
	SuspendedAt    time.Time        `json:"suspendedAt"`
}

// EpisodeResumed: the patient is home again. Visits that were planned for
// while they were in (and are still planned) were cancelled as
// PATIENT_ADMITTED.
type EpisodeResumed struct {
	EpisodeID         string    `json:"episodeId"`
	ResumedTo         Status    `json:"resumedTo"`
	CancelledVisitIDs []string  `json:"cancelledVisitIds"`
	ResumedAt         time.Time `json:"resumedAt"`
}

// EpisodeTransferred: care moved to another locality's team (which opens
// an episode of its own) or to another service. Visits still planned were
// cancelled as EPISODE_CLOSED.
type EpisodeTransferred struct {
	EpisodeID         string    `json:"episodeId"`
	ToLocality        string    `json:"toLocality,omitempty"`
	ToService         string    `json:"toService,omitempty"`
	CancelledVisitIDs []string  `json:"cancelledVisitIds"`
	TransferredAt     time.Time `json:"transferredAt"`
}

// EpisodeDischarged: the patient left the caseload with an outcome.
type EpisodeDischarged struct {
	EpisodeID         string           `json:"episodeId"`
	Outcome           DischargeOutcome `json:"outcome"`
	CancelledVisitIDs []string         `json:"cancelledVisitIds"`
	DischargedAt      time.Time        `json:"dischargedAt"`
}

// DeathRecorded: the team learned that the patient died.
type DeathRecorded struct {
	EpisodeID         string    `json:"episodeId"`
	DateOfDeath       Date      `json:"dateOfDeath"`
	CancelledVisitIDs []string  `json:"cancelledVisitIds"`
	RecordedAt        time.Time `json:"recordedAt"`
}

func (EpisodeOpened) EventType() string         { return "caseload.EpisodeOpened.v1" }
func (KeyworkerAssigned) EventType() string     { return "caseload.KeyworkerAssigned.v1" }
func (VisitsScheduled) EventType() string       { return "caseload.VisitsScheduled.v1" }
func (VisitOutcomeRecorded) EventType() string  { return "caseload.VisitOutcomeRecorded.v1" }
func (VisitsReassigned) EventType() string      { return "caseload.VisitsReassigned.v1" }
func (CarePlanUpdated) EventType() string       { return "caseload.CarePlanUpdated.v1" }
func (EpisodeActivated) EventType() string      { return "caseload.EpisodeActivated.v1" }
func (ReviewStarted) EventType() string         { return "caseload.ReviewStarted.v1" }
func (MdtDiscussionRecorded) EventType() string { return "caseload.MdtDiscussionRecorded.v1" }
func (ReviewConcluded) EventType() string       { return "caseload.ReviewConcluded.v1" }
func (EpisodeSuspended) EventType() string      { return "caseload.EpisodeSuspended.v1" }
func (EpisodeResumed) EventType() string        { return "caseload.EpisodeResumed.v1" }
func (EpisodeTransferred) EventType() string    { return "caseload.EpisodeTransferred.v1" }
func (EpisodeDischarged) EventType() string     { return "caseload.EpisodeDischarged.v1" }
func (DeathRecorded) EventType() string         { return "caseload.DeathRecorded.v1" }

// Events lists one example of every event type, for registration and the
// schema tests.
var Events = []aggregate.Event{
	EpisodeOpened{}, KeyworkerAssigned{}, VisitsScheduled{}, VisitOutcomeRecorded{}, VisitsReassigned{},
	CarePlanUpdated{}, EpisodeActivated{}, ReviewStarted{}, MdtDiscussionRecorded{}, ReviewConcluded{},
	EpisodeSuspended{}, EpisodeResumed{}, EpisodeTransferred{}, EpisodeDischarged{}, DeathRecorded{},
}

// Types decodes the episode stream.
var Types = aggregate.NewTypes(Events...)

// Category is the stream category: streams are "episode-<id>".
const Category = "episode"

// OccurredAt is the business time of an event: when it happened in the
// world, as opposed to when it was recorded.
func OccurredAt(ev aggregate.Event) time.Time {
	switch e := ev.(type) {
	case EpisodeOpened:
		return e.OpenedAt
	case KeyworkerAssigned:
		return e.AssignedAt
	case VisitsScheduled:
		return e.ScheduledAt
	case VisitOutcomeRecorded:
		return e.At
	case VisitsReassigned:
		return e.ReassignedAt
	case CarePlanUpdated:
		return e.AgreedAt
	case EpisodeActivated:
		return e.ActivatedAt
	case ReviewStarted:
		return e.StartedAt
	case MdtDiscussionRecorded:
		return e.DiscussedAt
	case ReviewConcluded:
		return e.ConcludedAt
	case EpisodeSuspended:
		return e.SuspendedAt
	case EpisodeResumed:
		return e.ResumedAt
	case EpisodeTransferred:
		return e.TransferredAt
	case EpisodeDischarged:
		return e.DischargedAt
	case DeathRecorded:
		return e.RecordedAt
	}
	return time.Time{}
}

// Event is an episode event.
type Event = aggregate.Event
