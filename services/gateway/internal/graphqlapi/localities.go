package graphqlapi

import "carecoord/pkg/locality"

// allLocalityIDs lists the reference data's localities for county-wide roles.
func allLocalityIDs(reg *locality.Registry) []string {
	all := reg.All()
	out := make([]string, len(all))
	for i, l := range all {
		out[i] = string(l.ID)
	}
	return out
}
