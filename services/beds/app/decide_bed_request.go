package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// Decision is a bed manager's answer to a request.
type Decision string

const (
	Accept  Decision = "ACCEPT"
	Decline Decision = "DECLINE"
)

// DecideBedRequestInput accepts or declines a request.
type DecideBedRequestInput struct {
	CommandID    string   `json:"-"`
	BedRequestID string   `json:"bedRequestId"`
	Decision     Decision `json:"decision"`
	// Reason is required to decline.
	Reason string `json:"reason"`
	// DecidedAt is when the decision was made (default now).
	DecidedAt string `json:"decidedAt"`
}

// DecideBedRequest records the bed manager's decision on a request.
func (c *Commands) DecideBedRequest(ctx context.Context, in DecideBedRequestInput) (readmodel.Request, error) {
	v, err := auth.RequireRole(ctx, auth.BedManager)
	if err != nil {
		return readmodel.Request{}, err
	}
	if in.Decision != Accept && in.Decision != Decline {
		return readmodel.Request{}, errs.Invalid("decision", "must be ACCEPT or DECLINE", "enum")
	}
	at, err := c.businessTime("decidedAt", in.DecidedAt)
	if err != nil {
		return readmodel.Request{}, err
	}
	r := c.start(ctx, v, in.CommandID)
	if q, ok := c.views.Request(in.BedRequestID); ok {
		r.locality = q.Locality
	}
	_, err = exec(r, c.requests, in.BedRequestID, "", func(q *domain.BedRequest, exists bool) ([]aggregate.Event, error) {
		if !exists {
			return nil, errs.NotFound("there is no such bed request", "request-not-found")
		}
		if in.Decision == Accept {
			return q.Accept(v.Subject, at)
		}
		return q.Decline(in.Reason, v.Subject, at)
	})
	if err != nil {
		return readmodel.Request{}, err
	}
	return r.requestView(in.BedRequestID)
}
