package app

import (
	"context"
	"strings"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// ReceiveReferral is the input of receiveReferral. Field names are the
// GraphQL input's, and errors name them as paths ("patient.nhsNumber").
type ReceiveReferral struct {
	Patient PatientInput `json:"patient"`
	// LocalityID is needed only for a patient with no registered practice,
	// or one registered outside Staffordshire and Stoke-on-Trent; otherwise
	// the locality follows from the practice.
	LocalityID            *string       `json:"localityId"`
	Referrer              ReferrerInput `json:"referrer"`
	ReceivedAt            string        `json:"receivedAt"`
	Reason                ReasonInput   `json:"reason"`
	ServiceRequested      string        `json:"serviceRequested"`
	Priority              string        `json:"priority"`
	UCR                   bool          `json:"ucr"`
	Consent               string        `json:"consent"`
	RiskFlags             []string      `json:"riskFlags"`
	PatientChoseLaterTime bool          `json:"patientChoseLaterTime"`
	Notes                 *string       `json:"notes"`
	SourceReference       *string       `json:"-"` // set by reactions only
	ReceivedAtTime        time.Time     `json:"-"` // set by reactions instead of ReceivedAt
}

// PatientInput is the referred patient.
type PatientInput struct {
	NHSNumber             *string `json:"nhsNumber"`
	NHSNumberVerification string  `json:"nhsNumberVerification"`
	GivenName             string  `json:"givenName"`
	FamilyName            string  `json:"familyName"`
	DateOfBirth           *string `json:"dateOfBirth"`
	Postcode              *string `json:"postcode"`
	GPPractice            *string `json:"gpPractice"`
}

// ReferrerInput is who referred.
type ReferrerInput struct {
	Name            *string `json:"name"`
	OrganisationODS *string `json:"organisationOds"`
	Source          string  `json:"source"`
}

// ReasonInput is the coded reason for referral.
type ReasonInput struct {
	SnomedCode string `json:"snomedCode"`
	Display    string `json:"display"`
}

// ReceiveReferralHandler receives a referral.
type ReceiveReferralHandler struct{ d deps }

// Handle receives the referral and returns it as the read model shows it.
// The referral's ID follows from commandId, so a repeat finds the first.
func (h ReceiveReferralHandler) Handle(ctx context.Context, in ReceiveReferral, commandID string) (readmodel.Referral, error) {
	w, version, err := h.execute(ctx, in, commandID)
	if err != nil {
		return readmodel.Referral{}, err
	}
	r, err := h.d.view(ctx, w.ReferralID, version)
	if err != nil {
		return readmodel.Referral{}, err
	}
	// A repeat answers with the first referral (execute checked that it is
	// the same one); whatever path led here, show it only to someone whose
	// localities it is in.
	if v, _ := auth.From(ctx); !v.Reaches(r.Locality) {
		return readmodel.Referral{}, domain.CommandIDReused()
	}
	touch(ctx, r)
	return r, nil
}

// Record receives the referral without waiting for the read model (for
// reactions, which do not show it to anyone).
func (h ReceiveReferralHandler) Record(ctx context.Context, in ReceiveReferral, commandID string) (Written, error) {
	w, _, err := h.execute(ctx, in, commandID)
	return w, err
}

func (h ReceiveReferralHandler) execute(ctx context.Context, in ReceiveReferral, commandID string) (Written, int64, error) {
	v, err := viewer(ctx)
	if err != nil {
		return Written{}, 0, err
	}
	n, err := h.parse(in)
	if err != nil {
		return Written{}, 0, err
	}
	if err := v.RequireLocality(n.Locality); err != nil {
		return Written{}, 0, err
	}
	id := aggregate.DeterministicID("referral", commandID)
	res, err := h.d.repo.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: v.Subject, Locality: n.Locality, At: n.ReceivedAt},
		func(r *domain.Referral, _ bool) ([]aggregate.Event, error) { return r.Receive(n) })
	if err != nil {
		return Written{}, 0, err
	}
	// A repeat skips Receive: it is the first referral's answer only if it
	// is the same referral; a commandId used for another is a CONFLICT
	// that shows nothing of it.
	if res.Repeated {
		if err := res.State.CheckRepeat(n); err != nil {
			return Written{}, 0, err
		}
	}
	return Written{ReferralID: id, Repeated: res.Repeated, Position: res.Position}, res.Version, nil
}

// parse turns input into domain values, naming the offending field.
func (h ReceiveReferralHandler) parse(in ReceiveReferral) (domain.NewReferral, error) {
	now := h.d.now()
	p := in.Patient
	patient := domain.Patient{GivenName: p.GivenName, FamilyName: p.FamilyName}
	if p.NHSNumber != nil && strings.TrimSpace(*p.NHSNumber) != "" {
		n, err := nhsnumber.Parse(*p.NHSNumber)
		if err != nil {
			return domain.NewReferral{}, inField("patient.nhsNumber", err)
		}
		patient.NHSNumber = n
	}
	ver, err := nhsnumber.ParseVerification(p.NHSNumberVerification)
	if err != nil {
		return domain.NewReferral{}, inField("patient.nhsNumberVerification", err)
	}
	patient.Verification = ver
	if p.DateOfBirth != nil && *p.DateOfBirth != "" {
		dob, err := time.Parse(time.DateOnly, *p.DateOfBirth)
		if err != nil {
			return domain.NewReferral{}, errs.Invalid("patient.dateOfBirth", "must be a date such as 1941-03-02", "date-format")
		}
		if dob.After(now) {
			return domain.NewReferral{}, errs.Invalid("patient.dateOfBirth", "must not be in the future", "date-of-birth-in-future")
		}
		patient.DateOfBirth = dob
	}
	if p.Postcode != nil && strings.TrimSpace(*p.Postcode) != "" {
		pc, err := postcode.Parse(*p.Postcode)
		if err != nil {
			return domain.NewReferral{}, inField("patient.postcode", err)
		}
		patient.Postcode = pc
	}
	if p.GPPractice != nil {
		patient.GPPractice = strings.ToUpper(strings.TrimSpace(*p.GPPractice))
	}
	loc, err := h.locality(patient.GPPractice, in.LocalityID)
	if err != nil {
		return domain.NewReferral{}, err
	}
	source, err := domain.ParseSource("referrer.source", in.Referrer.Source)
	if err != nil {
		return domain.NewReferral{}, err
	}
	var ods *string
	if in.Referrer.OrganisationODS != nil {
		o := strings.ToUpper(strings.TrimSpace(*in.Referrer.OrganisationODS))
		ods = &o
	}
	referrer := domain.Referrer{Name: in.Referrer.Name, OrganisationODS: ods, Source: source}
	receivedAt := in.ReceivedAtTime
	if receivedAt.IsZero() {
		if receivedAt, err = time.Parse(time.RFC3339, in.ReceivedAt); err != nil {
			return domain.NewReferral{}, errs.Invalid("receivedAt", "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
		}
	}
	priority, err := domain.ParsePriority("priority", in.Priority)
	if err != nil {
		return domain.NewReferral{}, err
	}
	consent, err := domain.ParseConsent("consent", in.Consent)
	if err != nil {
		return domain.NewReferral{}, err
	}
	flags := make([]domain.RiskFlag, 0, len(in.RiskFlags))
	for _, f := range in.RiskFlags {
		rf, err := domain.ParseRiskFlag("riskFlags", f)
		if err != nil {
			return domain.NewReferral{}, err
		}
		flags = append(flags, rf)
	}
	return domain.NewReferral{
		Patient:               patient,
		Locality:              string(loc),
		Referrer:              referrer,
		ReceivedAt:            receivedAt,
		RecordedAt:            now,
		Reason:                domain.Reason{SnomedCode: strings.TrimSpace(in.Reason.SnomedCode), Display: in.Reason.Display},
		ServiceRequested:      in.ServiceRequested,
		Priority:              priority,
		UCR:                   in.UCR,
		Consent:               consent,
		RiskFlags:             flags,
		PatientChoseLaterTime: in.PatientChoseLaterTime,
		Notes:                 in.Notes,
		SourceReference:       in.SourceReference,
	}, nil
}

// locality is the patient's locality: their registered practice's. A
// patient with no practice here (none, or one outside Staffordshire and
// Stoke-on-Trent) needs the locality said explicitly; one that contradicts
// the practice is refused rather than guessed between.
func (h ReceiveReferralHandler) locality(practice string, given *string) (locality.ID, error) {
	var explicit locality.ID
	if given != nil && *given != "" {
		id, err := h.d.localities.Must("localityId", *given)
		if err != nil {
			return "", err
		}
		explicit = id
	}
	if practice != "" {
		if _, known := h.d.localities.Practice(practice); known {
			loc, err := h.d.localities.LocalityOfPractice("patient.gpPractice", practice)
			if err != nil {
				return "", err
			}
			if explicit != "" && explicit != loc {
				return "", errs.Invalid("localityId", "does not match the patient's registered GP practice: leave it out, or check the practice", "locality-practice-mismatch")
			}
			return loc, nil
		}
		if explicit == "" {
			return "", errs.Invalid("patient.gpPractice", "is not a GP practice of Staffordshire and Stoke-on-Trent: give localityId for a patient registered elsewhere", "practice-unknown")
		}
		return explicit, nil
	}
	if explicit == "" {
		return "", errs.Invalid("patient.gpPractice", "give the patient's registered GP practice, or localityId when they have none", "locality-unknown")
	}
	return explicit, nil
}
