package app

import (
	"context"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/referrals/readmodel"
)

// patientReferrals are the referrals of a patient the viewer may see: those
// of the viewer's localities (any, with break-glass: this is one patient's
// record). A patient who moved has referrals in two localities; a
// clinician sees their own.
func (d deps) patientReferrals(ctx context.Context, nhs string) ([]readmodel.Referral, auth.Viewer, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, v, err
	}
	n, err := nhsnumber.Parse(nhs)
	if err != nil {
		return nil, v, err
	}
	all := d.rm.Patient(n.String())
	out := all[:0]
	for _, r := range all {
		if v.Opens(r.Locality) {
			out = append(out, r)
		}
	}
	touch(ctx, out...)
	return out, v, nil
}

// PatientReferralsHandler reads a patient's referrals.
type PatientReferralsHandler struct{ d deps }

// Handle returns the patient's referrals the viewer may see, newest first.
func (h PatientReferralsHandler) Handle(ctx context.Context, nhsNumber string) ([]readmodel.Referral, error) {
	rs, _, err := h.d.patientReferrals(ctx, nhsNumber)
	return rs, err
}

// PatientTimelineHandler reads the referrals part of a patient's timeline.
type PatientTimelineHandler struct{ d deps }

// Handle returns the history of the patient's referrals the viewer may see,
// in time order.
func (h PatientTimelineHandler) Handle(ctx context.Context, nhsNumber string) ([]readmodel.Timeline, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	n, err := nhsnumber.Parse(nhsNumber)
	if err != nil {
		return nil, err
	}
	entries := h.d.rm.PatientTimeline(n.String(), func(r readmodel.Referral) bool { return v.Opens(r.Locality) })
	if len(entries) > 0 {
		audit.Touch(ctx, n.String())
	}
	return entries, nil
}

// PatientDetails is who the patient is, as their latest referral says.
type PatientDetails struct {
	GivenName, FamilyName string
	DateOfBirth           *string
	Locality              string
}

// PatientDetailsHandler reads a patient's demographics from their referrals.
type PatientDetailsHandler struct{ d deps }

// Handle returns the demographics of the patient's latest referral the
// viewer may see; ok is false when there is none.
func (h PatientDetailsHandler) Handle(ctx context.Context, nhsNumber string) (PatientDetails, bool, error) {
	rs, _, err := h.d.patientReferrals(ctx, nhsNumber)
	if err != nil || len(rs) == 0 {
		return PatientDetails{}, false, err
	}
	p := rs[0].Patient
	return PatientDetails{GivenName: p.GivenName, FamilyName: p.FamilyName, DateOfBirth: p.DateOfBirth, Locality: rs[0].Locality}, true, nil
}
