// Package graphqlapi is the gateway's own part of the GraphQL API. Compose
// (composed.go) builds what /graphql serves: the services' federated
// subgraphs composed by pkg/supergraph with the gateway's fields (serverInfo,
// me, auditTrail, localities, locality, patient, Locality.name and
// gpPractices, Patient.timeline, and the subscriptions fed by the event
// store: fallsQueueChanged, bedBoardChanged, localityChanged, in live.go and
// subscriptions.go). NewSchema builds the gateway-only schema of serverInfo,
// me and auditTrail in Go code, one file per type; both share the
// resolvers' logic.
//
// It imports graphql-go, the standard library and pkg/ (audit, auth, gql,
// eventstore, locality, nhsnumber, supergraph); transport lives in pkg/graphqlhttp.
package graphqlapi

import (
	"context"
	"fmt"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/audit"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
)

// Deps is what the resolvers read from.
type Deps struct {
	ServerInfo ServerInfo
	// Localities is the reference data (nil: the built-in localities).
	Localities *locality.Registry
	// AuditTrail answers auditTrail (nil: an empty trail).
	AuditTrail AuditTrail
	// Events feeds the subscriptions of the composed schema (nil: they
	// fail).
	Events eventstore.Store
	// WaitHandled waits until this process's read models have applied the
	// log up to a position, so that a subscription's payload shows the
	// change that caused it (nil: payloads are fetched at once).
	WaitHandled func(context.Context, eventstore.Position) error
	// Node describes this process as a raft node (nil: not one).
	Node func() NodeInfo
	// Audit receives the audit entry of each subscription payload that
	// showed patient data (nil: not audited).
	Audit func(audit.Entry)
}

// NewSchema builds the schema. An error means the schema is inconsistent: the
// process must not start with it.
func NewSchema(d Deps) (graphql.Schema, error) {
	if d.Localities == nil {
		d.Localities = locality.Default()
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: queryType(d),
	})
	if err != nil {
		return graphql.Schema{}, fmt.Errorf("graphqlapi: build schema: %w", err)
	}
	return schema, nil
}
