package domain

import (
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the teams work in Europe/London whatever the host's zone data
	"unicode/utf8"

	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
)

// London is the teams' clock: a visit's day, "due today" and a recurring
// visit's time of day follow local time, so a daily 09:00 visit stays at
// 09:00 across the change to and from British Summer Time.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic("domain: no zone data for " + name)
	}
	return l
}

// Date is a calendar date ("2026-03-01"), such as a review date or a date of
// death: a day, not an instant. ISO dates compare correctly as strings.
type Date string

const dateLayout = "2006-01-02"

// ParseDate validates a calendar date from input.
func ParseDate(field, s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return "", errs.Invalid(field, "must be a date such as 2026-03-01", "date-format")
	}
	return Date(t.Format(dateLayout)), nil
}

// DateOf is the local (London) calendar date of an instant.
func DateOf(t time.Time) Date { return Date(t.In(London).Format(dateLayout)) }

// Start is the first instant of the date in London.
func (d Date) Start() time.Time {
	t, err := time.ParseInLocation(dateLayout, string(d), London)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d < o }

func (d Date) String() string { return string(d) }

// Clinician is a member of an ICT as lists show them: the user ID their token
// carries and the name colleagues know them by. Staff data, not patient data.
type Clinician struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// NewClinician validates a clinician reference from input.
func NewClinician(field, id, name string) (Clinician, error) {
	id, name = strings.TrimSpace(id), strings.TrimSpace(name)
	if id == "" {
		return Clinician{}, errs.Invalid(field+"Id", "is required", "clinician-id-required")
	}
	if len(id) > 100 {
		return Clinician{}, errs.Invalid(field+"Id", "is too long", "clinician-id-length")
	}
	if name == "" {
		return Clinician{}, errs.Invalid(field+"Name", "is required", "clinician-name-required")
	}
	if utf8.RuneCountInString(name) > 100 {
		return Clinician{}, errs.Invalid(field+"Name", "is too long", "clinician-name-length")
	}
	return Clinician{ID: id, Name: name}, nil
}

// Patient is who the episode is for, as the accepted referral described
// them. The NHS number is required: a caseload is kept by NHS number.
type Patient struct {
	NHSNumber             string `json:"nhsNumber"`
	NHSNumberVerification string `json:"nhsNumberVerification"`
	GivenName             string `json:"givenName,omitempty"`
	FamilyName            string `json:"familyName,omitempty"`
	DateOfBirth           Date   `json:"dateOfBirth,omitempty"`
	Postcode              string `json:"postcode,omitempty"`
	GPPractice            string `json:"gpPractice,omitempty"`
}

// NewPatient validates the patient of a new episode. Only the NHS number is
// required; the rest is kept as the referral gave it.
func NewPatient(nhs, verification, given, family, dob, postcode, practice string) (Patient, error) {
	n, err := nhsnumber.Parse(nhs)
	if err != nil {
		e, _ := errs.As(err)
		return Patient{}, errs.Invalid("patient.nhsNumber", e.Msg, e.Slug)
	}
	p := Patient{NHSNumber: n.String(), NHSNumberVerification: verification, GivenName: strings.TrimSpace(given),
		FamilyName: strings.TrimSpace(family), Postcode: strings.TrimSpace(postcode), GPPractice: strings.TrimSpace(practice)}
	if p.NHSNumberVerification == "" {
		p.NHSNumberVerification = string(nhsnumber.Unverified)
	} else if _, err := nhsnumber.ParseVerification(verification); err != nil {
		return Patient{}, errs.Invalid("patient.nhsNumberVerification", "is not a known verification status", "verification-unknown")
	}
	if dob != "" {
		d, err := ParseDate("patient.dateOfBirth", dob)
		if err != nil {
			return Patient{}, err
		}
		p.DateOfBirth = d
	}
	return p, nil
}

// Reason is the coded reason for care, carried from the referral.
type Reason struct {
	SNOMEDCode string `json:"snomedCode"`
	Display    string `json:"display"`
}

func parseEnum[T ~string](field, s string, allowed []T) (T, error) {
	if slices.Contains(allowed, T(s)) {
		return T(s), nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", errs.Invalid(field, "must be one of "+strings.Join(names, ", "), strings.ToLower(field)+"-unknown")
}

// Status is where an episode is in its lifecycle.
type Status string

const (
	// AwaitingAllocation: opened from an accepted referral, no keyworker yet.
	AwaitingAllocation Status = "AWAITING_ALLOCATION"
	// Allocated: a named keyworker in a team holds the episode.
	Allocated Status = "ALLOCATED"
	// Active: assessed, with an agreed care plan.
	Active Status = "ACTIVE"
	// UnderReview: brought to the MDT; an MDT discussion concludes it.
	UnderReview Status = "UNDER_REVIEW"
	// Suspended: the patient is in a bed; care resumes where it was.
	Suspended Status = "SUSPENDED"
	// Discharged from the caseload, with an outcome.
	Discharged Status = "DISCHARGED"
	// Transferred to another locality's team or another service.
	Transferred Status = "TRANSFERRED"
	// Deceased: the patient died.
	Deceased Status = "DECEASED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{AwaitingAllocation, Allocated, Active, UnderReview, Suspended, Discharged, Transferred, Deceased}

// OpenStatuses are the statuses of an episode still on the caseload.
var OpenStatuses = []Status{AwaitingAllocation, Allocated, Active, UnderReview, Suspended}

// IsOpen reports whether the episode is still on the caseload.
func (s Status) IsOpen() bool { return slices.Contains(OpenStatuses, s) }

// ParseStatus validates a status from input.
func ParseStatus(field, s string) (Status, error) { return parseEnum(field, s, Statuses) }

// VisitStatus is where a visit is.
type VisitStatus string

const (
	VisitPlanned   VisitStatus = "PLANNED"
	VisitCompleted VisitStatus = "COMPLETED"
	VisitCancelled VisitStatus = "CANCELLED"
	VisitNoAccess  VisitStatus = "NO_ACCESS"
	VisitDeclined  VisitStatus = "DECLINED"
)

// VisitStatuses lists every visit status.
var VisitStatuses = []VisitStatus{VisitPlanned, VisitCompleted, VisitCancelled, VisitNoAccess, VisitDeclined}

// VisitOutcomes are the statuses a planned visit can end in.
var VisitOutcomes = []VisitStatus{VisitCompleted, VisitCancelled, VisitNoAccess, VisitDeclined}

// ParseVisitOutcome validates an outcome from input.
func ParseVisitOutcome(field, s string) (VisitStatus, error) {
	return parseEnum(field, s, VisitOutcomes)
}

// ParseVisitStatus validates a visit status from input.
func ParseVisitStatus(field, s string) (VisitStatus, error) {
	return parseEnum(field, s, VisitStatuses)
}

// VisitPurpose is what a visit is for, coarse enough to hold no clinical
// detail.
type VisitPurpose string

// VisitPurposes lists the purposes a visit may have.
var VisitPurposes = []VisitPurpose{"ASSESSMENT", "REVIEW", "WOUND_CARE", "MEDICATION", "CONTINENCE", "THERAPY", "PALLIATIVE_CARE", "WELLBEING_CHECK", "OTHER"}

// ParseVisitPurpose validates a purpose from input.
func ParseVisitPurpose(field, s string) (VisitPurpose, error) {
	return parseEnum(field, s, VisitPurposes)
}

// CancellationReason says why a planned visit did not go ahead.
type CancellationReason string

const (
	CancelPatientRequest       CancellationReason = "PATIENT_REQUEST"
	CancelClinicianUnavailable CancellationReason = "CLINICIAN_UNAVAILABLE"
	CancelRescheduled          CancellationReason = "RESCHEDULED"
	CancelNoLongerNeeded       CancellationReason = "NO_LONGER_NEEDED"
	CancelPatientAdmitted      CancellationReason = "PATIENT_ADMITTED"
	CancelOther                CancellationReason = "OTHER"
	// CancelEpisodeClosed is set by the system when the episode ends with
	// visits still planned; a user cannot choose it.
	CancelEpisodeClosed CancellationReason = "EPISODE_CLOSED"
)

// CancellationReasons lists every reason, the system one included.
var CancellationReasons = []CancellationReason{CancelPatientRequest, CancelClinicianUnavailable, CancelRescheduled, CancelNoLongerNeeded, CancelPatientAdmitted, CancelOther, CancelEpisodeClosed}

// ParseCancellationReason validates a reason a user gives.
func ParseCancellationReason(field, s string) (CancellationReason, error) {
	return parseEnum(field, s, CancellationReasons[:len(CancellationReasons)-1])
}

// Frequency is how often a recurring visit repeats.
type Frequency string

const (
	Daily       Frequency = "DAILY"
	Weekly      Frequency = "WEEKLY"
	Fortnightly Frequency = "FORTNIGHTLY"
)

// ParseFrequency validates a frequency from input.
func ParseFrequency(field, s string) (Frequency, error) {
	return parseEnum(field, s, []Frequency{Daily, Weekly, Fortnightly})
}

// days is the calendar step between occurrences.
func (f Frequency) days() int {
	switch f {
	case Weekly:
		return 7
	case Fortnightly:
		return 14
	default:
		return 1
	}
}

// ReviewReason is why an episode is brought to the MDT.
type ReviewReason string

// ReviewReasons lists the reasons for a review.
var ReviewReasons = []ReviewReason{"REVIEW_DUE", "DETERIORATION", "CHANGE_IN_NEEDS", "PATIENT_OR_CARER_REQUEST", "SAFEGUARDING", "OTHER"}

// ParseReviewReason validates a reason from input.
func ParseReviewReason(field, s string) (ReviewReason, error) {
	return parseEnum(field, s, ReviewReasons)
}

// MdtRole is the discipline of an MDT attendee or action owner.
type MdtRole string

// MdtRoles lists the disciplines of an integrated care team's MDT.
var MdtRoles = []MdtRole{"GP", "COMMUNITY_NURSE", "DISTRICT_NURSE", "COMMUNITY_MATRON", "PHYSIOTHERAPIST", "OCCUPATIONAL_THERAPIST",
	"SOCIAL_WORKER", "PHARMACIST", "MENTAL_HEALTH_PRACTITIONER", "GERIATRICIAN", "CARE_COORDINATOR", "VOLUNTARY_SECTOR", "PATIENT_OR_CARER", "OTHER"}

// ParseMdtRole validates a role from input.
func ParseMdtRole(field, s string) (MdtRole, error) { return parseEnum(field, s, MdtRoles) }

// SuspensionReason is why care is paused.
type SuspensionReason string

const (
	// AdmittedCommunityBed is set by the beds reaction.
	AdmittedCommunityBed SuspensionReason = "ADMITTED_COMMUNITY_BED"
	// AdmittedAcuteHospital is recorded by hand: the acute trust's
	// admissions are not in carecoord.
	AdmittedAcuteHospital SuspensionReason = "ADMITTED_ACUTE_HOSPITAL"
	AdmittedHospice       SuspensionReason = "ADMITTED_HOSPICE"
	AdmittedRespiteCare   SuspensionReason = "RESPITE_CARE"
)

// SuspensionReasons lists them.
var SuspensionReasons = []SuspensionReason{AdmittedCommunityBed, AdmittedAcuteHospital, AdmittedHospice, AdmittedRespiteCare}

// ParseSuspensionReason validates a reason from input.
func ParseSuspensionReason(field, s string) (SuspensionReason, error) {
	return parseEnum(field, s, SuspensionReasons)
}

// DischargeOutcome is how an episode ended when the patient was discharged
// from the caseload.
type DischargeOutcome string

// DischargeOutcomes lists them.
var DischargeOutcomes = []DischargeOutcome{"GOALS_MET", "NO_FURTHER_NEEDS", "PATIENT_DECLINED_CARE", "MOVED_TO_24_HOUR_CARE", "MOVED_OUT_OF_AREA", "REFERRED_ELSEWHERE", "NOT_APPROPRIATE", "OTHER"}

// ParseDischargeOutcome validates an outcome from input.
func ParseDischargeOutcome(field, s string) (DischargeOutcome, error) {
	return parseEnum(field, s, DischargeOutcomes)
}
