package graphqlapi

import "github.com/graphql-go/graphql"

// queryType is the root Query type.
func queryType(d Deps) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"serverInfo": &graphql.Field{
				Type:        graphql.NewNonNull(serverInfoType),
				Description: "The process answering this request.",
				Resolve:     func(graphql.ResolveParams) (any, error) { return d.ServerInfo, nil },
			},
			"me":         meField(d.Localities),
			"auditTrail": auditTrailField(d.AuditTrail),
		},
	})
}
