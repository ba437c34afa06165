package graphqlapi

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/gql"
	"carecoord/pkg/nhsnumber"
)

// AuditTrail answers who has looked at a record (audit.Trail implements it).
type AuditTrail interface {
	For(nhsNumber string) []audit.Entry
}

var auditKindType = graphql.NewEnum(graphql.EnumConfig{
	Name:        "AuditKind",
	Description: "Whether an audited request only read records or also changed them.",
	Values: graphql.EnumValueConfigMap{
		string(audit.Read):    {Value: string(audit.Read), Description: "A query."},
		string(audit.Command): {Value: string(audit.Command), Description: "A mutation."},
	},
})

func entryField(typ graphql.Output, desc string, f func(audit.Entry) any) *graphql.Field {
	return &graphql.Field{Type: typ, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		return f(p.Source.(audit.Entry)), nil
	}}
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var auditEntryType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "AuditEntry",
	Description: "One request that read or changed a patient's record.",
	Fields: graphql.Fields{
		"requestId": entryField(graphql.NewNonNull(graphql.ID), "The request.", func(e audit.Entry) any { return e.RequestID }),
		"correlationId": entryField(graphql.String, "The request's correlation ID, as the logs show it.",
			func(e audit.Entry) any { return optional(e.CorrelationID) }),
		"userId":       entryField(graphql.NewNonNull(graphql.ID), "Who: the user's ID.", func(e audit.Entry) any { return e.Subject }),
		"userName":     entryField(graphql.String, "Who: the user's name.", func(e audit.Entry) any { return optional(e.Name) }),
		"role":         entryField(graphql.NewNonNull(graphql.String), "The user's role.", func(e audit.Entry) any { return e.Role }),
		"organisation": entryField(graphql.String, "The user's organisation.", func(e audit.Entry) any { return optional(e.Organisation) }),
		"operation": entryField(graphql.NewNonNull(graphql.String), "What: the GraphQL operation name, or the endpoint of an unnamed one.",
			func(e audit.Entry) any { return e.Operation }),
		"endpoint": entryField(graphql.String, "Where the request came in.", func(e audit.Entry) any { return optional(e.Endpoint) }),
		"kind":     entryField(graphql.NewNonNull(auditKindType), "Read or command.", func(e audit.Entry) any { return string(e.Kind) }),
		"at":       entryField(graphql.NewNonNull(graphql.String), "When (RFC 3339, UTC).", func(e audit.Entry) any { return gql.Time(e.At) }),
		"breakGlass": entryField(graphql.NewNonNull(graphql.Boolean), "Whether the user broke glass to reach the record: for review.",
			func(e audit.Entry) any { return e.BreakGlass }),
		"breakGlassReason": entryField(graphql.String, "The reason given for breaking glass.",
			func(e audit.Entry) any { return optional(e.BreakGlassReason) }),
	},
})

// auditTrailField is auditTrail(nhsNumber): who has looked at a record,
// newest first. Admins only. Asking is itself audited: the request touches
// the patient.
func auditTrailField(trail AuditTrail) *graphql.Field {
	return &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(auditEntryType))),
		Description: "Who has read or changed a patient's record, newest first (admin only).",
		Args:        graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			return readAuditTrail(p.Context, trail, p.Args["nhsNumber"].(string))
		}),
	}
}

// readAuditTrail is auditTrail's logic, shared by NewSchema and Compose:
// admins only, a valid NHS number, and the look is itself audited.
func readAuditTrail(ctx context.Context, trail AuditTrail, nhsNumber string) ([]audit.Entry, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return nil, err
	}
	n, err := nhsnumber.Parse(nhsNumber)
	if err != nil {
		return nil, err
	}
	audit.Touch(ctx, n.String())
	if trail == nil {
		return []audit.Entry{}, nil
	}
	return trail.For(n.String()), nil
}
