package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/locality"
	"carecoord/services/falls/domain"
)

// LinkFallPatientInput identifies the patient of an incident reported
// before anyone knew (or had traced) who it was.
type LinkFallPatientInput struct {
	IncidentID string       `json:"incidentId"`
	Patient    PatientInput `json:"patient"`
}

// LinkFallPatient records who the patient is; their locality follows from
// their GP practice when given.
func (c Commands) LinkFallPatient(ctx context.Context, commandID string, in LinkFallPatientInput) (FallView, error) {
	view, _, err := c.c.incidentStep(ctx, commandID, in.IncidentID, func(i *domain.Incident, v auth.Viewer, now time.Time) ([]aggregate.Event, error) {
		p, loc, err := c.c.patient(in.Patient, locality.ID(i.IncidentLocality()), now)
		if err != nil {
			return nil, err
		}
		return i.LinkPatient(p, loc, v.Subject, now)
	})
	return view, err
}
