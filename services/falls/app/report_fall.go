package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/locality"
	"carecoord/services/falls/domain"
)

// AddressInput is where the faller is.
type AddressInput struct {
	Text     string `json:"text"`
	Postcode string `json:"postcode"`
}

// PatientInput is the patient as far as known; every field may be empty.
type PatientInput struct {
	NHSNumber             string `json:"nhsNumber"`
	NHSNumberVerification string `json:"nhsNumberVerification"`
	GivenName             string `json:"givenName"`
	FamilyName            string `json:"familyName"`
	DateOfBirth           string `json:"dateOfBirth"`
	Postcode              string `json:"postcode"`
	GPPractice            string `json:"gpPractice"`
}

// ReportFallInput is an alert.
type ReportFallInput struct {
	Source string `json:"source"`
	// AlertedAt is when the alert came in (empty: now).
	AlertedAt string `json:"alertedAt"`
	// EstimatedFallAt is when the patient fell, if anyone knows.
	EstimatedFallAt string       `json:"estimatedFallAt"`
	Address         AddressInput `json:"address"`
	// LocalityID is the locality the patient lies in; it is the patient's
	// locality too unless their GP practice says otherwise.
	LocalityID string        `json:"localityId"`
	Patient    *PatientInput `json:"patient"`
}

// ReportFall opens an incident. Its ID follows from the commandId, so a
// repeat answers with the incident the first call opened.
func (c Commands) ReportFall(ctx context.Context, commandID string, in ReportFallInput) (FallView, error) {
	v, err := dispatcher(ctx)
	if err != nil {
		return FallView{}, err
	}
	now := c.c.now()
	f := domain.NewFall{}
	if f.Source, err = domain.ParseSource("source", in.Source); err != nil {
		return FallView{}, err
	}
	if f.AlertedAt, err = at("alertedAt", in.AlertedAt, now); err != nil {
		return FallView{}, err
	}
	if in.EstimatedFallAt != "" {
		if f.EstimatedFallAt, err = at("estimatedFallAt", in.EstimatedFallAt, now); err != nil {
			return FallView{}, err
		}
	}
	if f.Address, err = domain.NewAddress("address", in.Address.Text, in.Address.Postcode); err != nil {
		return FallView{}, err
	}
	loc, err := c.c.Localities.Must("localityId", in.LocalityID)
	if err != nil {
		return FallView{}, err
	}
	f.IncidentLocality = string(loc)
	var p PatientInput
	if in.Patient != nil {
		p = *in.Patient
	}
	if f.Patient, f.Locality, err = c.c.patient(p, loc, now); err != nil {
		return FallView{}, err
	}
	id := aggregate.DeterministicID(domain.IncidentCategory, commandID)
	res, err := c.c.Incidents.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: v.Subject, Locality: f.Locality, At: now},
		func(i *domain.Incident, exists bool) ([]aggregate.Event, error) {
			return i.Report(exists, f, v.Subject, now)
		})
	if err != nil {
		return FallView{}, err
	}
	c.c.settleIncident(ctx, id, res.Version)
	return c.c.incidentView(ctx, id)
}

// patient validates a patient and finds their locality: their GP
// practice's when known, else where they fell.
func (c *core) patient(in PatientInput, fellIn locality.ID, now time.Time) (domain.Patient, string, error) {
	p, err := domain.NewPatient("patient", domain.PatientFields{
		NHSNumber: in.NHSNumber, Verification: in.NHSNumberVerification, GivenName: in.GivenName, FamilyName: in.FamilyName,
		DateOfBirth: in.DateOfBirth, Postcode: in.Postcode, GPPractice: in.GPPractice,
	}, now)
	if err != nil {
		return domain.Patient{}, "", err
	}
	loc := fellIn
	if p.GPPractice != "" {
		if loc, err = c.Localities.LocalityOfPractice("patient.gpPractice", p.GPPractice); err != nil {
			return domain.Patient{}, "", err
		}
	}
	return p, string(loc), nil
}
