package graphqlapi

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/pkg/gql"
	"carecoord/pkg/locality"
)

// viewerType is `me`: who the token says the caller is.
func viewerType(reg *locality.Registry) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Viewer",
		Description: "The signed-in user, as their token describes them.",
		Fields: graphql.Fields{
			"id":           &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: viewerField(func(v auth.Viewer) any { return v.Subject })},
			"name":         &graphql.Field{Type: graphql.String, Resolve: viewerField(func(v auth.Viewer) any { return v.Name })},
			"role":         &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: viewerField(func(v auth.Viewer) any { return string(v.Role) })},
			"organisation": &graphql.Field{Type: graphql.String, Resolve: viewerField(func(v auth.Viewer) any { return v.Organisation })},
			"localities": &graphql.Field{
				Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.ID))),
				Description: "The localities whose patients the user may see; every locality for roles that work county-wide.",
				Resolve:     viewerField(func(v auth.Viewer) any { return viewerLocalities(reg, v) }),
			},
		},
	})
}

func viewerField(f func(auth.Viewer) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(auth.Viewer)), nil }
}

func meField(reg *locality.Registry) *graphql.Field {
	return &graphql.Field{
		Type:        graphql.NewNonNull(viewerType(reg)),
		Description: "Who the token says you are: your role and localities.",
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			return auth.Require(p.Context)
		}),
	}
}

// viewerLocalities are the localities whose patients v may see.
func viewerLocalities(reg *locality.Registry, v auth.Viewer) []string {
	if v.AllLocalities() {
		return allLocalityIDs(reg)
	}
	return v.Localities
}
