package reactions

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// RaiseBedRequestOnFallOutcomeName is the reaction's durable consumer name.
// Renaming it is a migration: it is the checkpoint's key.
const RaiseBedRequestOnFallOutcomeName = "beds.RaiseBedRequestOnFallOutcome"

// FallOutcomeRecorded is the beds service's copy of the falls service's
// published falls.FallOutcomeRecorded.v1.
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

// PatientBlock is the shared patient block, every field nullable as the
// contract allows.
type PatientBlock struct {
	NHSNumber    *string `json:"nhsNumber"`
	Verification *string `json:"nhsNumberVerification"`
	GivenName    *string `json:"givenName"`
	FamilyName   *string `json:"familyName"`
	DateOfBirth  *string `json:"dateOfBirth"`
	Postcode     *string `json:"postcode"`
	GPPractice   *string `json:"gpPractice"`
}

// OutcomeStepUpBed is the falls outcome that needs a community bed.
const OutcomeStepUpBed = "STEP_UP_BED"

// BedRequestRaiser is the command this reaction runs.
type BedRequestRaiser interface {
	RaiseBedRequest(ctx context.Context, in app.RaiseBedRequestInput) (readmodel.Request, error)
}

// RaiseBedRequestOnFallOutcome raises an urgent step-up bed request when a
// falls responder records that the patient needs a step-up bed. Its command
// ID derives from the falls event's ID, so redelivery finds the request
// already raised and writes nothing.
//
// An outcome it cannot act on (no NHS number yet, a patient block that does
// not validate) is logged, without patient data, and skipped: retrying would
// not change it. Only transient failures are returned for a retry.
func RaiseBedRequestOnFallOutcome(raiser BedRequestRaiser, logger *zap.Logger) cqrs.GroupEventHandler {
	logger = logger.Named("RaiseBedRequestOnFallOutcome")
	return cqrs.NewGroupEventHandler(func(ctx context.Context, e *FallOutcomeRecorded) error {
		if e.Outcome != OutcomeStepUpBed {
			return nil
		}
		d, _ := eventbus.DeliveryFrom(ctx)
		log := logger.With(zap.String("event_id", d.EventID), zap.String("incident_id", e.IncidentID))
		if e.Patient.NHSNumber == nil || *e.Patient.NHSNumber == "" {
			log.Warn("step-up bed outcome without an NHS number: no bed request raised; the bed manager must raise it once the patient is identified")
			return nil
		}
		need := "Step-up bed needed after a fall (falls response outcome)"
		if e.ClinicalNeed != nil && *e.ClinicalNeed != "" {
			need = *e.ClinicalNeed
		}
		verification := str(e.Patient.Verification)
		if verification == "NOT_KNOWN" {
			verification = "UNVERIFIED" // a number is given, so it is at least present
		}
		requestedAt := e.RecordedAt
		if t, err := time.Parse(time.RFC3339, requestedAt); err != nil || t.After(time.Now()) {
			requestedAt = "" // the time of raising then
		}
		ctx = auth.WithViewer(ctx, auth.SystemViewer(RaiseBedRequestOnFallOutcomeName))
		_, err := raiser.RaiseBedRequest(ctx, app.RaiseBedRequestInput{
			CommandID: "RaiseBedRequestOnFallOutcome:" + d.EventID,
			Type:      domain.StepUp, Source: domain.SourceFalls, Priority: domain.Urgent,
			ClinicalNeed: need,
			Patient: domain.PatientInput{
				NHSNumber: *e.Patient.NHSNumber, Verification: verification,
				GivenName: str(e.Patient.GivenName), FamilyName: str(e.Patient.FamilyName),
				DateOfBirth: str(e.Patient.DateOfBirth), Postcode: str(e.Patient.Postcode), GPPractice: str(e.Patient.GPPractice),
			},
			Locality:    e.Locality,
			SourceRef:   e.IncidentID,
			RequestedAt: requestedAt,
		})
		if err == nil {
			return nil
		}
		switch k := errs.KindOf(err); k {
		case errs.KindInvalidInput, errs.KindNotFound, errs.KindForbidden:
			te, _ := errs.As(err)
			log.Warn("step-up bed outcome could not become a bed request; skipped", zap.String("reason", te.Slug), zap.String("field", te.Field))
			return nil
		}
		return err
	})
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
