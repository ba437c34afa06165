// Package audit is carecoord's audit of access to patient records, as
// Information Governance asks: every read that returns patient-identifiable
// data and every command is recorded (who, role, organisation, what, which
// patients, when, and the break-glass reason when there was one) on an
// append-only audit stream in the event store, and an admin can ask who has
// looked at a record.
//
// Three parts:
//   - a Record per request in the context: the transport begins it (Begin),
//     and any layer that returns or changes a patient's data says which
//     (Touch), without knowing whether anyone is listening;
//   - a Writer that appends entries in batches to a day stream
//     ("$audit-YYYYMMDD"), off the reader's path, so that auditing reads
//     does not slow them;
//   - a Trail: the read model, rebuilt from the audit streams, that answers
//     "who has looked at this record".
//
// Entries hold NHS numbers: they go to the audit streams only, never to a
// log line.
//
// It imports pkg/auth, pkg/eventbus, pkg/eventstore, pkg/logging, pkg/projection,
// watermill's cqrs, uuid and zap.
package audit

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/auth"
	"carecoord/pkg/logging"
)

// Kind says whether an operation only read or also changed records.
type Kind string

const (
	// Read is a query.
	Read Kind = "READ"
	// Command is a mutation: it is audited even when it touched no patient
	// (it failed, or changed no patient's record).
	Command Kind = "COMMAND"
)

// Operation is what a request does: its name (the GraphQL operation name,
// or the endpoint when it has none) and its kind.
type Operation struct {
	Name string
	Kind Kind
	// Endpoint is where the request came in ("/graphql",
	// "/subgraphs/referrals/graphql"), if known.
	Endpoint string
}

// Record collects what one request touched. It is safe for concurrent use:
// resolvers may run in parallel.
type Record struct {
	op            Operation
	requestID     string
	correlationID string

	mu      sync.Mutex
	touched []string
	seen    map[string]struct{}
}

type recordKey struct{}

// Begin starts the audit record of a request and returns ctx carrying it.
// The record gets a request ID of its own (the correlation ID is the
// caller's to choose, and may repeat); its entry's event ID derives from it.
func Begin(ctx context.Context, op Operation) (context.Context, *Record) {
	r := &Record{op: op, requestID: uuid.NewString(), correlationID: logging.CorrelationID(ctx), seen: map[string]struct{}{}}
	return context.WithValue(ctx, recordKey{}, r), r
}

// FromContext returns the request's record, if one was begun.
func FromContext(ctx context.Context) (*Record, bool) {
	r, ok := ctx.Value(recordKey{}).(*Record)
	return r, ok
}

// Touch records that the request returns or changes identifiable data of
// the patients with these NHS numbers. Empty numbers (a patient not yet
// identified) are skipped. Without a record in ctx (reactions, seed, tests)
// it does nothing.
func Touch(ctx context.Context, nhsNumbers ...string) {
	r, ok := FromContext(ctx)
	if !ok || r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range nhsNumbers {
		if n == "" {
			continue
		}
		if _, dup := r.seen[n]; dup {
			continue
		}
		r.seen[n] = struct{}{}
		r.touched = append(r.touched, n)
	}
}

// Operation is the request's operation.
func (r *Record) Operation() Operation { return r.op }

// RequestID identifies the request.
func (r *Record) RequestID() string { return r.requestID }

// Touched returns the NHS numbers touched so far, in the order first
// touched.
func (r *Record) Touched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.touched)
}

// Due reports whether the request must be audited: it touched a patient,
// or it was a command.
func (r *Record) Due() bool {
	if r.op.Kind == Command {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.touched) > 0
}

// Entry is the audit entry of the request, made by viewer v, at at.
func (r *Record) Entry(v auth.Viewer, at time.Time) Entry {
	return Entry{
		RequestID:        r.requestID,
		CorrelationID:    r.correlationID,
		Subject:          v.Subject,
		Name:             v.Name,
		Role:             string(v.Role),
		Organisation:     v.Organisation,
		Operation:        r.op.Name,
		Endpoint:         r.op.Endpoint,
		Kind:             r.op.Kind,
		NHSNumbers:       r.Touched(),
		At:               at.UTC(),
		BreakGlass:       v.BreakGlassReason != "",
		BreakGlassReason: reason(v.BreakGlassReason),
	}
}

// maxReasonBytes caps a break-glass reason: a header's worth of text is
// not a reason.
const maxReasonBytes = 1000

func reason(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	return strings.ToValidUTF8(s[:maxReasonBytes], "")
}
