package graphqlapi

import "github.com/graphql-go/graphql"

// ServerInfo describes the running process, for operators and smoke tests.
type ServerInfo struct {
	// Version is the build (see pkg/buildinfo).
	Version string
	// StoreBackend names the event store implementation: embedded, raft or
	// kurrentdb.
	StoreBackend string
}

var serverInfoType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "ServerInfo",
	Description: "The process answering the request.",
	Fields: graphql.Fields{
		"version": &graphql.Field{
			Type:        graphql.NewNonNull(graphql.String),
			Description: "The build that is running.",
			Resolve:     func(p graphql.ResolveParams) (any, error) { return p.Source.(ServerInfo).Version, nil },
		},
		"storeBackend": &graphql.Field{
			Type:        graphql.NewNonNull(graphql.String),
			Description: "The event store implementation: embedded, raft or kurrentdb.",
			Resolve:     func(p graphql.ResolveParams) (any, error) { return p.Source.(ServerInfo).StoreBackend, nil },
		},
	},
})
