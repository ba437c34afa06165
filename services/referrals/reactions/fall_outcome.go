package reactions

import (
	"context"
	"slices"

	"go.uber.org/zap"

	"carecoord/pkg/eventbus"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/domain"
)

// FallOutcomeRecorded is the falls service's falls.FallOutcomeRecorded.v1,
// as this service reads it.
type FallOutcomeRecorded struct {
	IncidentID   string       `json:"incidentId"`
	Patient      PatientBlock `json:"patient"`
	Locality     string       `json:"locality"`
	Outcome      string       `json:"outcome"`
	ReferTo      []string     `json:"referTo"`
	ClinicalNeed *string      `json:"clinicalNeed"`
	RecordedAt   string       `json:"recordedAt"`
	RecordedBy   string       `json:"recordedBy"`
}

// EventType is the producer's type string.
func (FallOutcomeRecorded) EventType() string { return "falls.FallOutcomeRecorded.v1" }

// fallTarget is the referral a falls "referTo" asks for.
type fallTarget struct {
	service  string
	priority domain.Priority
	ucr      bool
}

// fallTargets: a UCR referral is a 2-hour response; the ICT follows a fall
// up within two days; falls prevention is a routine programme.
var fallTargets = map[string]fallTarget{
	"UCR":              {service: "Urgent Community Response", priority: domain.PriorityUrgent2H, ucr: true},
	"ICT":              {service: "Integrated Care Team", priority: domain.PriorityUrgent2D},
	"FALLS_PREVENTION": {service: "Falls Prevention", priority: domain.PriorityRoutine},
}

// fallReason is the coded reason of a referral after a fall.
var fallReason = app.ReasonInput{SnomedCode: "217082002", Display: "Accidental fall"}

// OnFallOutcomeRecorded raises a referral to the patient's ICT for each
// service a REFERRED outcome names (the ICT itself when it names none).
func (r *Reactions) OnFallOutcomeRecorded(ctx context.Context, e *FallOutcomeRecorded) error {
	if e.Outcome != "REFERRED" {
		return nil
	}
	log := r.logger(ctx, RaiseReferralOnFallOutcome).With(zap.String("incident_id", e.IncidentID))
	patient, loc, why := r.patient(e.Patient, e.Locality)
	if why != "" {
		log.Info("referral not raised: " + string(why))
		return nil
	}
	targets := e.ReferTo
	if len(targets) == 0 {
		targets = []string{"ICT"}
	}
	d, _ := eventbus.DeliveryFrom(ctx)
	ctx = system(ctx, RaiseReferralOnFallOutcome)
	var done []string
	for _, t := range targets {
		spec, ok := fallTargets[t]
		if !ok || slices.Contains(done, t) {
			if !ok {
				log.Warn("referral not raised for an unknown referTo", zap.String("referTo", t))
			}
			continue
		}
		done = append(done, t)
		in := app.ReceiveReferral{
			Patient:          patient,
			LocalityID:       loc,
			Referrer:         app.ReferrerInput{Name: ptr("Falls response service"), Source: string(domain.SourceFallsService)},
			ReceivedAtTime:   r.receivedAt(parseTime(e.RecordedAt)),
			Reason:           fallReason,
			ServiceRequested: spec.service,
			Priority:         string(spec.priority),
			UCR:              spec.ucr,
			Consent:          string(domain.ConsentNotRecorded),
			RiskFlags:        []string{string(domain.RiskFalls)},
			Notes:            e.ClinicalNeed,
			SourceReference:  ptr("fallincident-" + e.IncidentID),
		}
		// One command per target, named by the event and the target, so a
		// redelivered event finds each referral already raised.
		w, err := r.receive.Record(ctx, in, "RaiseReferralOnFallOutcome:"+d.EventID+":"+t)
		if err := settle(log.With(zap.String("referTo", t)), err); err != nil {
			return err
		}
		if w.ReferralID != "" {
			log.Info("referral raised", zap.String("referTo", t), zap.String("referral_id", w.ReferralID), zap.Bool("repeated", w.Repeated))
		}
	}
	return nil
}
