package reactions

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"carecoord/pkg/eventbus"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/domain"
)

// PatientDischarged is the beds service's beds.PatientDischarged.v1, as
// this service reads it.
type PatientDischarged struct {
	StayID       string       `json:"stayId"`
	Patient      PatientBlock `json:"patient"`
	Locality     string       `json:"locality"`
	Pathway      string       `json:"pathway"`
	Destination  string       `json:"destination"`
	FollowUp     FollowUp     `json:"followUp"`
	DischargedAt string       `json:"dischargedAt"`
}

// FollowUp is what the discharge asks of the community.
type FollowUp struct {
	ICTReferral bool    `json:"ictReferral"`
	Reason      *string `json:"reason"`
}

// EventType is the producer's type string.
func (PatientDischarged) EventType() string { return "beds.PatientDischarged.v1" }

// dischargeReason is the coded reason of a discharge follow-up referral.
var dischargeReason = app.ReasonInput{SnomedCode: "390906007", Display: "Follow-up encounter"}

// OnPatientDischarged raises a referral to the patient's ICT when a
// discharge from a community bed asks for ICT follow-up. The ICT sees a
// discharged patient within two days.
func (r *Reactions) OnPatientDischarged(ctx context.Context, e *PatientDischarged) error {
	if !e.FollowUp.ICTReferral {
		return nil
	}
	log := r.logger(ctx, RaiseReferralOnDischargeFollowUp).With(zap.String("stay_id", e.StayID))
	patient, loc, why := r.patient(e.Patient, e.Locality)
	if why != "" {
		log.Info("referral not raised: " + string(why))
		return nil
	}
	d, _ := eventbus.DeliveryFrom(ctx)
	in := app.ReceiveReferral{
		Patient:          patient,
		LocalityID:       loc,
		Referrer:         app.ReferrerInput{Name: ptr("Community hospital discharge team"), Source: string(domain.SourceHospitalDischarge)},
		ReceivedAtTime:   r.receivedAt(parseTime(e.DischargedAt)),
		Reason:           dischargeReason,
		ServiceRequested: "Integrated Care Team",
		Priority:         string(domain.PriorityUrgent2D),
		Consent:          string(domain.ConsentNotRecorded),
		Notes:            dischargeNotes(e),
		SourceReference:  ptr("stay-" + e.StayID),
	}
	w, err := r.receive.Record(system(ctx, RaiseReferralOnDischargeFollowUp), in, "RaiseReferralOnDischargeFollowUp:"+d.EventID)
	if err := settle(log, err); err != nil {
		return err
	}
	if w.ReferralID != "" {
		log.Info("referral raised", zap.String("referral_id", w.ReferralID), zap.Bool("repeated", w.Repeated))
	}
	return nil
}

// dischargeNotes tells triage what the discharge said.
func dischargeNotes(e *PatientDischarged) *string {
	var parts []string
	if e.Pathway != "" {
		parts = append(parts, "Discharge to Assess pathway "+e.Pathway)
	}
	if e.Destination != "" {
		parts = append(parts, "discharged to "+e.Destination)
	}
	if e.FollowUp.Reason != nil && *e.FollowUp.Reason != "" {
		parts = append(parts, "follow-up: "+*e.FollowUp.Reason)
	}
	if len(parts) == 0 {
		return nil
	}
	s := strings.Join(parts, "; ")
	return &s
}
