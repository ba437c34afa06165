package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/services/falls/domain"
)

// SetResponderStatusInput books a unit on or off shift.
type SetResponderStatusInput struct {
	ResponderID string `json:"responderId"`
	// Status is AVAILABLE or OFF_DUTY; DISPATCHED and ON_SCENE follow from
	// the incident the unit is sent to.
	Status string `json:"status"`
}

// SetResponderStatus books a unit on or off shift. A unit committed to an
// incident cannot be: its incident releases it.
func (c Commands) SetResponderStatus(ctx context.Context, commandID string, in SetResponderStatusInput) (ResponderView, error) {
	v, err := dispatcher(ctx)
	if err != nil {
		return ResponderView{}, err
	}
	id, err := required("responderId", in.ResponderID)
	if err != nil {
		return ResponderView{}, err
	}
	unit, ok := c.c.Units.Get(id)
	if !ok {
		return ResponderView{}, errs.NotFound("no such falls responder unit", "responder-not-found")
	}
	status, err := domain.ParseDutyStatus("status", in.Status)
	if err != nil {
		return ResponderView{}, err
	}
	t := c.c.now()
	res, err := c.c.Responders.Execute(ctx, id, aggregate.Command{ID: commandID, Actor: v.Subject, Locality: unit.BaseLocality, At: t},
		func(r *domain.Responder, _ bool) ([]aggregate.Event, error) { return r.SetStatus(status, v.Subject, t) })
	if err != nil {
		return ResponderView{}, err
	}
	c.c.settleResponder(ctx, id, res.Version)
	return c.c.responderView(unit), nil
}
