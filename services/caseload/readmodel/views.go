package readmodel

import (
	"slices"
	"time"

	"carecoord/services/caseload/domain"
)

// EpisodeView is an episode as clients see it: detail, visits, care plan
// versions, MDT discussions and history. Enum fields are plain strings (the
// GraphQL enum values). Views are copies: changing one changes nothing.
type EpisodeView struct {
	ID         string
	Status     string
	LocalityID string
	// Version is the stream revision of the last event applied; a client
	// may send it back as expectedVersion.
	Version int64

	Patient                  domain.Patient
	ReferralID               string
	TransferredFromEpisodeID string
	ServiceRequested         string
	Priority                 string
	UCR                      bool
	Reason                   domain.Reason
	OpenedAt                 time.Time

	Keyworker   *domain.Clinician
	Team        string
	AllocatedAt time.Time
	ActivatedAt time.Time

	CarePlan    *CarePlanView
	CarePlans   []CarePlanView
	Visits      []VisitView
	Discussions []MdtDiscussionView

	Review     *ReviewView
	Suspension *SuspensionView

	ClosedAt              time.Time
	DischargeOutcome      string
	TransferredToLocality string
	TransferredToService  string
	DateOfDeath           string

	// ReviewOverdue: the care plan's review date has passed (computed at
	// read time; false for a suspended or closed episode).
	ReviewOverdue bool

	History []HistoryEntry
}

// Open reports whether the episode is still on the caseload.
func (e EpisodeView) Open() bool { return domain.Status(e.Status).IsOpen() }

// CarePlanView is one version of the care plan.
type CarePlanView struct {
	Version        int
	Goals          []string
	NextReviewDate string
	AgreedAt       time.Time
	AgreedBy       string
}

// VisitView is a visit. Due and Overdue are computed at read time: due on
// the (London) day it is planned for, overdue from the next day, while it
// is still planned and the patient is at home.
type VisitView struct {
	ID                 string
	EpisodeID          string
	SeriesID           string
	PlannedAt          time.Time
	DurationMinutes    int
	Purpose            string
	Clinician          domain.Clinician
	Status             string
	OutcomeAt          time.Time
	CancellationReason string
	Due                bool
	Overdue            bool
}

// MdtDiscussionView is an MDT discussion.
type MdtDiscussionView struct {
	ID              string
	DiscussedAt     time.Time
	Attendees       []domain.MdtAttendee
	Actions         []domain.MdtAction
	ConcludedReview bool
	RecordedBy      string
}

// ReviewView is the review an episode is under.
type ReviewView struct {
	Reason    string
	StartedAt time.Time
}

// SuspensionView is why care is paused.
type SuspensionView struct {
	Reason     string
	StayID     string
	HospitalID string
	Since      time.Time
	ResumeTo   string
}

// HistoryEntry is one event of an episode, told briefly and without
// clinical detail: what the history and the patient timeline show.
type HistoryEntry struct {
	At        time.Time
	Type      string
	Summary   string
	Actor     string
	EpisodeID string
	Revision  uint64
}

// VisitListItem is a visit on a clinician's list for a day, with what the
// clinician needs to find the patient.
type VisitListItem struct {
	Visit   VisitView
	Episode EpisodeView
}

// KeyworkerLoad is one row of the team lead's view: a clinician's share of
// the locality's caseload. The row with no keyworker counts the episodes
// awaiting allocation.
type KeyworkerLoad struct {
	Keyworker        *domain.Clinician
	Episodes         int
	VisitsDueToday   int
	VisitsOverdue    int
	ReviewsOverdue   int
	PatientsAdmitted int
}

// LocalitySummary is the locality's caseload in numbers.
type LocalitySummary struct {
	LocalityID         string
	Size               int
	AwaitingAllocation int
	Active             int
	UnderReview        int
	PatientsAdmitted   int
	VisitsDueToday     int
	VisitsOverdue      int
	ReviewsOverdue     int
}

// OpenEpisode is what the reactions need to find a patient's episodes.
type OpenEpisode struct {
	ID       string
	Status   string
	Locality string
	StayID   string
}

func (e *EpisodeView) clone() EpisodeView {
	c := *e
	if e.Keyworker != nil {
		k := *e.Keyworker
		c.Keyworker = &k
	}
	c.CarePlans = slices.Clone(e.CarePlans)
	if len(c.CarePlans) > 0 {
		c.CarePlan = &c.CarePlans[len(c.CarePlans)-1]
	}
	c.Visits = slices.Clone(e.Visits)
	c.Discussions = slices.Clone(e.Discussions)
	c.History = slices.Clone(e.History)
	if e.Review != nil {
		r := *e.Review
		c.Review = &r
	}
	if e.Suspension != nil {
		s := *e.Suspension
		c.Suspension = &s
	}
	return c
}

// withClock fills in the computed fields for now.
func (e EpisodeView) withClock(today domain.Date) EpisodeView {
	athome := e.Status != string(domain.Suspended) && e.Open()
	for i := range e.Visits {
		v := &e.Visits[i]
		if athome && v.Status == string(domain.VisitPlanned) {
			d := domain.DateOf(v.PlannedAt)
			v.Due, v.Overdue = d == today, d.Before(today)
		}
	}
	e.ReviewOverdue = reviewOverdue(&e, today)
	return e
}

func reviewOverdue(e *EpisodeView, today domain.Date) bool {
	if e.Status != string(domain.Active) && e.Status != string(domain.UnderReview) {
		return false
	}
	return len(e.CarePlans) > 0 && domain.Date(e.CarePlans[len(e.CarePlans)-1].NextReviewDate).Before(today)
}
