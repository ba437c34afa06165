package domain

import (
	"slices"
	"strings"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
)

// ClockSkew is how far ahead of the recording clock a business time may be:
// the referrer's clock, or another node's, may run a little fast.
const ClockSkew = 5 * time.Minute

// Referral is the referral aggregate: unexported state, rebuilt from its
// stream by Apply, changed only through its command methods, which check the
// state machine and return the events to record (nothing on error).
type Referral struct {
	id               string
	status           Status // "" until received
	locality         string
	patient          PatientBlock
	source           Source
	reason           Reason
	serviceRequested string
	priority         Priority
	ucr              bool
	patientChoice    bool
	receivedAt       time.Time
	// lastAt is the business time of the latest step: a later step cannot
	// have happened before it.
	lastAt      time.Time
	team        string
	clinicianID string
}

// NewState is an empty referral for the repository to apply events to.
func NewState(id string) *Referral { return &Referral{id: id} }

// ID is the referral's ID.
func (r *Referral) ID() string { return r.id }

// Status is where the referral is; "" when it was never received.
func (r *Referral) Status() Status { return r.status }

// Locality is the locality whose ICT the referral is for.
func (r *Referral) Locality() string { return r.locality }

// Exists reports whether the referral was received.
func (r *Referral) Exists() bool { return r.status != "" }

// Apply folds one event into the state. It never fails: an event is a fact.
func (r *Referral) Apply(e aggregate.Event) {
	switch e := e.(type) {
	case ReferralReceived:
		r.status = StatusReceived
		r.locality = e.Locality
		r.patient = e.Patient
		r.source = e.Referrer.Source
		r.reason = e.Reason
		r.serviceRequested = e.ServiceRequested
		r.priority = e.Priority
		r.ucr = e.UCR
		r.patientChoice = e.PatientChoseLaterTime
		r.receivedAt = e.ReceivedAt
		r.lastAt = e.ReceivedAt
	case ReferralAccepted:
		r.status = StatusWaiting
		r.priority = e.Priority
		r.ucr = e.UCR
		r.lastAt = e.AcceptedAt
	case ReferralRejected:
		r.status = StatusRejected
		r.lastAt = e.RejectedAt
	case ReferralRedirected:
		r.status = StatusRedirected
		r.lastAt = e.RedirectedAt
	case ReferralInformationRequested:
		r.status = StatusInformationRequested
		r.lastAt = e.RequestedAt
	case ReferralInformationReceived:
		r.status = StatusReceived
		r.lastAt = e.ReceivedAt
	case ReferralAllocated:
		r.status = StatusAllocated
		r.team = e.Team
		r.clinicianID = e.ClinicianID
		r.lastAt = e.AllocatedAt
	case ReferralFirstContactRecorded:
		r.status = StatusFirstContact
		r.lastAt = e.ContactAt
	case ReferralPatientChoiceRecorded:
		r.patientChoice = true
		r.lastAt = later(r.lastAt, e.RecordedAt)
	case ReferralWithdrawn:
		r.status = StatusWithdrawn
		r.lastAt = later(r.lastAt, e.WithdrawnAt)
	case ReferralCancelled:
		r.status = StatusCancelled
		r.lastAt = later(r.lastAt, e.CancelledAt)
	case ReferralEnteredInError:
		r.status = StatusEnteredInError
		r.lastAt = later(r.lastAt, e.MarkedAt)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// NewReferral is what receiving a referral needs. The caller parses input
// into these types and resolves the locality from the GP practice; Receive
// checks that it all holds together.
type NewReferral struct {
	Patient Patient
	// Locality is the patient's locality: from their registered practice,
	// or given when they have none.
	Locality              string
	Referrer              Referrer
	ReceivedAt            time.Time
	RecordedAt            time.Time
	Reason                Reason
	ServiceRequested      string
	Priority              Priority
	UCR                   bool
	Consent               Consent
	RiskFlags             []RiskFlag
	PatientChoseLaterTime bool
	Notes                 *string
	SourceReference       *string
}

// Receive records a new referral. It is the constructor-style command: it
// validates everything, and only an empty stream may be received into.
func (r *Referral) Receive(n NewReferral) ([]aggregate.Event, error) {
	if r.Exists() {
		return nil, errs.Conflict("a referral with this ID already exists: use a new commandId", "referral-exists")
	}
	patient, err := NewPatient(n.Patient)
	if err != nil {
		return nil, err
	}
	if n.Locality == "" {
		return nil, errs.Invalid("patient.gpPractice", "give the patient's registered GP practice, or the locality when they have none", "locality-unknown")
	}
	referrer, err := NewReferrer(n.Referrer.Name, n.Referrer.OrganisationODS, n.Referrer.Source)
	if err != nil {
		return nil, err
	}
	if n.RecordedAt.IsZero() {
		return nil, errs.Internal("could not record the referral", nil)
	}
	if n.ReceivedAt.IsZero() {
		return nil, errs.Invalid("receivedAt", "is required", "required")
	}
	receivedAt := utc(n.ReceivedAt)
	if receivedAt.After(n.RecordedAt.Add(ClockSkew)) {
		return nil, errs.Invalid("receivedAt", "must not be in the future", "received-in-future")
	}
	if !patient.DateOfBirth.IsZero() && receivedAt.Before(patient.DateOfBirth) {
		return nil, errs.Invalid("patient.dateOfBirth", "is after the referral was received", "date-of-birth-after-referral")
	}
	reason, err := NewReason("reason", n.Reason.SnomedCode, n.Reason.Display)
	if err != nil {
		return nil, err
	}
	service, err := text("serviceRequested", n.ServiceRequested, 100, true)
	if err != nil {
		return nil, err
	}
	if _, err := ParsePriority("priority", string(n.Priority)); err != nil {
		return nil, err
	}
	if n.UCR {
		// The UCR standard is a 2-hour response for adults: a referral
		// flagged UCR at any other priority, or for a child, is a mistake
		// that would corrupt the 2-hour measure.
		if n.Priority != PriorityUrgent2H {
			return nil, errs.Invalid("priority", "a UCR 2-hour referral has priority URGENT_2H", "ucr-priority")
		}
		if age, known := patient.AgeOn(receivedAt); known && age < 18 {
			return nil, errs.Invalid("ucr", "Urgent Community Response is for adults aged 18 and over", "ucr-adults-only")
		}
	}
	if n.PatientChoseLaterTime && !n.UCR {
		return nil, errs.Invalid("patientChoseLaterTime", "applies only to UCR 2-hour referrals", "choice-not-ucr")
	}
	if _, err := ParseConsent("consent", string(n.Consent)); err != nil {
		return nil, err
	}
	flags := make([]RiskFlag, 0, len(n.RiskFlags))
	for _, f := range n.RiskFlags {
		if _, err := ParseRiskFlag("riskFlags", string(f)); err != nil {
			return nil, err
		}
		if !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	slices.SortFunc(flags, func(a, b RiskFlag) int { return slices.Index(RiskFlags, a) - slices.Index(RiskFlags, b) })
	notes, err := optText("notes", n.Notes, 2000)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{ReferralReceived{
		ReferralID:            r.id,
		Patient:               patient.Block(),
		Locality:              n.Locality,
		Referrer:              referrer,
		ReceivedAt:            receivedAt,
		RecordedAt:            utc(n.RecordedAt),
		Reason:                reason,
		ServiceRequested:      service,
		Priority:              n.Priority,
		UCR:                   n.UCR,
		Consent:               n.Consent,
		RiskFlags:             flags,
		PatientChoseLaterTime: n.PatientChoseLaterTime,
		Notes:                 notes,
		SourceReference:       n.SourceReference,
	}}, nil
}

// CheckRepeat says whether n repeats the receipt that created r, as a
// client repeating a command with the same commandId would send it: the
// same patient (NHS number; name and date of birth when there is none),
// locality and referral source. The referral's ID follows from the
// commandId, so a commandId already used for another referral would
// otherwise answer with that referral.
func (r *Referral) CheckRepeat(n NewReferral) error {
	if !r.Exists() || r.locality != n.Locality || r.source != n.Referrer.Source {
		return CommandIDReused()
	}
	b := n.Patient.Block()
	if r.patient.NHS() != b.NHS() {
		return CommandIDReused()
	}
	if b.NHS() == "" {
		same := func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }
		dob := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		if !same(r.patient.FamilyName, b.FamilyName) || !same(r.patient.GivenName, b.GivenName) || dob(r.patient.DateOfBirth) != dob(b.DateOfBirth) {
			return CommandIDReused()
		}
	}
	return nil
}

// CommandIDReused is the CONFLICT that answers a commandId already used
// for another referral. It names nothing of that referral.
func CommandIDReused() error {
	return errs.Conflict("this commandId was already used for another referral: use a new one", "command-id-reused")
}

// Step is who did a step and when (business time).
type Step struct {
	At time.Time
	By string
}

// check is the common part of every step after receipt: the referral
// exists, is in one of the allowed states and the step is not dated before
// the previous one.
func (r *Referral) check(what string, s Step, slug string, allowed ...Status) (time.Time, error) {
	if !r.Exists() {
		return time.Time{}, errs.NotFound("there is no such referral", "referral-not-found")
	}
	if !slices.Contains(allowed, r.status) {
		return time.Time{}, errs.IllegalStep(what, r.status.describe(), slug)
	}
	at := utc(s.At)
	if at.Before(r.lastAt) {
		return time.Time{}, errs.Invalid("at", "is before the referral's previous step: check the date and time", "at-before-previous-step")
	}
	return at, nil
}

// TriageDecision is triage's one decision about a received referral.
type TriageDecision struct {
	Outcome TriageOutcome
	// Priority confirms or changes the priority on ACCEPT; empty keeps the
	// referrer's.
	Priority Priority
	// Reason is required to REJECT, optional to REDIRECT.
	Reason *string
	// Service is where a REDIRECT sends the referral.
	Service *string
	// Information is what REQUEST_INFORMATION asks for, and RequestedFrom
	// whom (the referrer when empty).
	Information   *string
	RequestedFrom *string
}

// Triage decides a received referral. Triage is one command with an
// outcome: accepted (waiting at its priority), rejected, redirected, or
// information requested (back to triage when it arrives).
func (r *Referral) Triage(d TriageDecision, s Step) ([]aggregate.Event, error) {
	at, err := r.check("triage the referral", s, "not-awaiting-triage", StatusReceived)
	if err != nil {
		return nil, err
	}
	// A field that does not belong to the outcome would be silently lost:
	// refuse it, so the clinician knows what was recorded.
	notFor := func(field string) error {
		return errs.Invalid(field, "does not apply to the outcome "+string(d.Outcome), "field-not-for-outcome")
	}
	switch d.Outcome {
	case TriageAccept:
		if d.Reason != nil || d.Service != nil || d.Information != nil || d.RequestedFrom != nil {
			return nil, notFor(firstSet(map[string]bool{"reason": d.Reason != nil, "service": d.Service != nil, "information": d.Information != nil, "requestedFrom": d.RequestedFrom != nil}))
		}
		priority := r.priority
		if d.Priority != "" {
			if _, err := ParsePriority("priority", string(d.Priority)); err != nil {
				return nil, err
			}
			priority = d.Priority
		}
		// Triage that judges a UCR referral not to need a 2-hour response
		// takes it out of the 2-hour measure: it is no longer a UCR
		// referral, and the accepted event says so.
		ucr := r.ucr && priority == PriorityUrgent2H
		return []aggregate.Event{ReferralAccepted{
			ReferralID: r.id, Patient: r.patient, Locality: r.locality, ServiceRequested: r.serviceRequested,
			Priority: priority, UCR: ucr, Reason: r.reason, AcceptedAt: at, AcceptedBy: s.By,
		}}, nil
	case TriageReject:
		if d.Priority != "" || d.Service != nil || d.Information != nil || d.RequestedFrom != nil {
			return nil, notFor(firstSet(map[string]bool{"priority": d.Priority != "", "service": d.Service != nil, "information": d.Information != nil, "requestedFrom": d.RequestedFrom != nil}))
		}
		reason, err := text("reason", deref(d.Reason), 500, true)
		if err != nil {
			return nil, err
		}
		return []aggregate.Event{ReferralRejected{ReferralID: r.id, Locality: r.locality, Reason: reason, RejectedAt: at, RejectedBy: s.By}}, nil
	case TriageRedirect:
		if d.Priority != "" || d.Information != nil || d.RequestedFrom != nil {
			return nil, notFor(firstSet(map[string]bool{"priority": d.Priority != "", "information": d.Information != nil, "requestedFrom": d.RequestedFrom != nil}))
		}
		service, err := text("service", deref(d.Service), 100, true)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(service, r.serviceRequested) {
			return nil, errs.Invalid("service", "is the service the referral is already for: accept or reject it instead", "redirect-to-same-service")
		}
		reason, err := optText("reason", d.Reason, 500)
		if err != nil {
			return nil, err
		}
		return []aggregate.Event{ReferralRedirected{ReferralID: r.id, Locality: r.locality, Service: service, Reason: reason, RedirectedAt: at, RedirectedBy: s.By}}, nil
	case TriageRequestInformation:
		if d.Priority != "" || d.Reason != nil || d.Service != nil {
			return nil, notFor(firstSet(map[string]bool{"priority": d.Priority != "", "reason": d.Reason != nil, "service": d.Service != nil}))
		}
		info, err := text("information", deref(d.Information), 1000, true)
		if err != nil {
			return nil, err
		}
		from, err := optText("requestedFrom", d.RequestedFrom, 100)
		if err != nil {
			return nil, err
		}
		return []aggregate.Event{ReferralInformationRequested{ReferralID: r.id, Locality: r.locality, Information: info, RequestedFrom: from, RequestedAt: at, RequestedBy: s.By}}, nil
	}
	return nil, errs.Invalid("outcome", "is not one of the allowed values", "triage-outcome-unknown")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// firstSet names the first set field, in a stable order, for an error.
func firstSet(set map[string]bool) string {
	for _, f := range []string{"priority", "reason", "service", "information", "requestedFrom"} {
		if set[f] {
			return f
		}
	}
	return "outcome"
}

// RecordInformationReceived records that what triage asked for arrived: the
// referral is back for triage, and the service now holds a referral it can
// act on (a UCR clock starts from here).
func (r *Referral) RecordInformationReceived(s Step) ([]aggregate.Event, error) {
	at, err := r.check("record information received", s, "no-information-requested", StatusInformationRequested)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{ReferralInformationReceived{ReferralID: r.id, Locality: r.locality, ReceivedAt: at, RecordedBy: s.By}}, nil
}

// Allocation is who will see the patient.
type Allocation struct {
	Team          string
	ClinicianID   string
	ClinicianName *string
}

// Allocate gives an accepted referral to a team and a named clinician, or
// moves it to another. Allocating to the same team and clinician again
// records nothing.
func (r *Referral) Allocate(a Allocation, s Step) ([]aggregate.Event, error) {
	at, err := r.check("allocate the referral", s, "not-waiting", StatusWaiting, StatusAllocated)
	if err != nil {
		return nil, err
	}
	team, err := text("team", a.Team, 100, true)
	if err != nil {
		return nil, err
	}
	clinician, err := text("clinicianId", a.ClinicianID, 100, true)
	if err != nil {
		return nil, err
	}
	name, err := optText("clinicianName", a.ClinicianName, 100)
	if err != nil {
		return nil, err
	}
	if r.status == StatusAllocated && team == r.team && clinician == r.clinicianID {
		return nil, nil
	}
	return []aggregate.Event{ReferralAllocated{ReferralID: r.id, Locality: r.locality, Team: team, ClinicianID: clinician, ClinicianName: name, AllocatedAt: at, AllocatedBy: s.By}}, nil
}

// RecordFirstContact records the first face-to-face contact with the
// patient: the referral is complete and a UCR clock stops.
func (r *Referral) RecordFirstContact(s Step) ([]aggregate.Event, error) {
	at, err := r.check("record the first contact", s, "not-allocated", StatusAllocated)
	if err != nil {
		return nil, err
	}
	return []aggregate.Event{ReferralFirstContactRecorded{ReferralID: r.id, Locality: r.locality, ContactAt: at, RecordedBy: s.By}}, nil
}

// RecordPatientChoice records that the patient chose to be seen later than
// the service could see them: the UCR 2-hour measure excludes the referral.
// Recording it again records nothing.
func (r *Referral) RecordPatientChoice(preferredAt *time.Time, s Step) ([]aggregate.Event, error) {
	at, err := r.check("record the patient's choice of a later time", s, "not-open", OpenStatuses...)
	if err != nil {
		return nil, err
	}
	if !r.ucr {
		return nil, errs.Invalid("referralId", "the patient's choice of a later time matters only to UCR 2-hour referrals", "choice-not-ucr")
	}
	if r.patientChoice {
		return nil, nil
	}
	var pref *time.Time
	if preferredAt != nil {
		p := utc(*preferredAt)
		if p.Before(r.receivedAt) {
			return nil, errs.Invalid("preferredAt", "is before the referral was received", "preferred-before-received")
		}
		pref = &p
	}
	return []aggregate.Event{ReferralPatientChoiceRecorded{ReferralID: r.id, Locality: r.locality, PreferredAt: pref, RecordedAt: at, RecordedBy: s.By}}, nil
}

// Close ends a referral unseen. Withdrawn and cancelled apply to an open
// referral. Entered in error applies to any referral not already marked so:
// a record made against the wrong patient is wrong however far it got.
func (r *Referral) Close(kind Closure, reason string, s Step) ([]aggregate.Event, error) {
	what := map[Closure]string{ClosureWithdrawn: "withdraw the referral", ClosureCancelled: "cancel the referral", ClosureEnteredInError: "mark the referral entered in error"}[kind]
	if what == "" {
		return nil, errs.Invalid("kind", "is not one of the allowed values", "closure-unknown")
	}
	allowed := OpenStatuses
	if kind == ClosureEnteredInError {
		allowed = slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return s == StatusEnteredInError })
	}
	if !r.Exists() {
		return nil, errs.NotFound("there is no such referral", "referral-not-found")
	}
	if !slices.Contains(allowed, r.status) {
		return nil, errs.IllegalStep(what, r.status.describe(), "not-open")
	}
	// A closure is an administrative act: it may be dated at any time after
	// receipt, even before a step recorded with a later business time.
	at := utc(s.At)
	if at.Before(r.receivedAt) {
		return nil, errs.Invalid("at", "is before the referral was received", "at-before-received")
	}
	why, err := text("reason", reason, 500, true)
	if err != nil {
		return nil, err
	}
	switch kind {
	case ClosureWithdrawn:
		return []aggregate.Event{ReferralWithdrawn{ReferralID: r.id, Locality: r.locality, Reason: why, WithdrawnAt: at, WithdrawnBy: s.By}}, nil
	case ClosureCancelled:
		return []aggregate.Event{ReferralCancelled{ReferralID: r.id, Locality: r.locality, Reason: why, CancelledAt: at, CancelledBy: s.By}}, nil
	default:
		return []aggregate.Event{ReferralEnteredInError{ReferralID: r.id, Locality: r.locality, Reason: why, MarkedAt: at, MarkedBy: s.By}}, nil
	}
}
