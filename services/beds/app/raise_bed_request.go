package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// RaiseBedRequestInput asks for a community bed. Field names are the
// GraphQL input's.
type RaiseBedRequestInput struct {
	CommandID    string               `json:"-"`
	Type         domain.RequestType   `json:"type"`
	Source       domain.RequestSource `json:"source"`
	Priority     domain.Priority      `json:"priority"`
	ClinicalNeed string               `json:"clinicalNeed"`
	Patient      domain.PatientInput  `json:"patient"`
	// Locality is needed only when the patient's GP practice is not given;
	// otherwise it follows from the practice.
	Locality            string `json:"locality"`
	PreferredHospitalID string `json:"preferredHospitalId"`
	SourceRef           string `json:"sourceRef"`
	// RequestedAt is when the request was made (default now).
	RequestedAt string `json:"requestedAt"`
}

// RaiseBedRequest records a request for a bed. Bed managers raise any
// request; ICT clinicians step-up requests (source ICT or UCR) for patients
// of their localities; falls dispatchers step-up requests from the falls
// response.
func (c *Commands) RaiseBedRequest(ctx context.Context, in RaiseBedRequestInput) (readmodel.Request, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager, auth.ICTClinician, auth.FallsDispatcher)
	if err != nil {
		return readmodel.Request{}, err
	}
	switch v.Role {
	case auth.ICTClinician:
		if in.Type != domain.StepUp || (in.Source != domain.SourceICT && in.Source != domain.SourceUCR) {
			return readmodel.Request{}, errs.Forbidden("your role may raise step-up requests from an ICT or UCR only", "role-step-up-only")
		}
	case auth.FallsDispatcher:
		if in.Type != domain.StepUp || in.Source != domain.SourceFalls {
			return readmodel.Request{}, errs.Forbidden("your role may raise step-up requests from the falls response only", "role-step-up-only")
		}
	}
	at, err := c.businessTime("requestedAt", in.RequestedAt)
	if err != nil {
		return readmodel.Request{}, err
	}
	patient, err := domain.NewPatient("patient", in.Patient, at)
	if err != nil {
		return readmodel.Request{}, err
	}
	loc, err := c.patientLocality(in.Locality, patient)
	if err != nil {
		return readmodel.Request{}, err
	}
	if err := v.RequireLocality(loc); err != nil {
		return readmodel.Request{}, err
	}
	if in.PreferredHospitalID != "" {
		if _, err := c.hospitals.MustHospital("preferredHospitalId", in.PreferredHospitalID); err != nil {
			return readmodel.Request{}, err
		}
	}
	r := c.start(ctx, v, in.CommandID)
	r.locality = loc
	// The request's ID follows from the commandId, so that a repeat finds
	// the first request instead of raising another.
	id := aggregate.DeterministicID("bedrequest", r.id)
	req := domain.NewRequest{
		Type: in.Type, Source: in.Source, Priority: in.Priority, ClinicalNeed: in.ClinicalNeed, Patient: patient,
		Locality: loc, PreferredHospitalID: in.PreferredHospitalID, SourceRef: in.SourceRef, RaisedBy: v.Subject,
	}
	res, err := exec(r, c.requests, id, "", func(q *domain.BedRequest, _ bool) ([]aggregate.Event, error) {
		return q.Raise(req, at)
	})
	if err != nil {
		return readmodel.Request{}, err
	}
	// A repeat skips Raise, and with it everything this input was checked
	// against: it answers with the first request only if it is the same
	// request (so the checks above held for it too); a commandId someone
	// used for another request is a CONFLICT that shows nothing of it.
	if res.Repeated {
		if err := res.State.CheckRepeat(req); err != nil {
			return readmodel.Request{}, err
		}
	}
	return r.requestView(id)
}

// patientLocality is the patient's locality: the GP practice's when it is
// given (a patient's locality follows from their practice), else the one
// given.
func (c *core) patientLocality(given string, p domain.Patient) (string, error) {
	if p.GPPractice != nil {
		fromPractice, err := c.localities.LocalityOfPractice("patient.gpPractice", *p.GPPractice)
		if err != nil {
			return "", err
		}
		if given != "" && given != string(fromPractice) {
			return "", errs.Invalid("locality", "does not match the patient's GP practice", "locality-mismatch")
		}
		return string(fromPractice), nil
	}
	if given == "" {
		return "", errs.Invalid("locality", "is required when the patient's GP practice is not given", "locality-required")
	}
	id, err := c.localities.Must("locality", given)
	return string(id), err
}

// requestView waits for the write and returns the request as the read
// model has it, if the viewer may see it. A command's own checks let
// through only viewers who may; this one stands behind them, so that no
// path through a command (a repeat, a reaction) shows a patient the
// viewer may not see.
func (r *run) requestView(id string) (readmodel.Request, error) {
	r.wait()
	q, ok := r.c.views.Request(id)
	if !ok {
		return readmodel.Request{}, errs.Internal("the change was recorded but cannot be shown yet: reload", nil)
	}
	if v, _ := auth.From(r.ctx); !canSeeRequest(v, q) {
		return readmodel.Request{}, errs.Forbidden("the bed request is outside what you may see", "request-out-of-reach")
	}
	touchRequests(r.ctx, q)
	return q, nil
}
