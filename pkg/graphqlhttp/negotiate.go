package graphqlhttp

import (
	"mime"
	"strconv"
	"strings"
)

// negotiate picks the response media type from Accept header values:
// application/graphql-response+json only when the client names it (at a
// preference at least that of application/json), otherwise application/json,
// which every client understands.
func negotiate(accept []string) string {
	var qGraphQL, qJSON, qWildcard float64 = 0, -1, 0
	for _, header := range accept {
		for _, part := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					q = f
				}
			}
			switch mt {
			case MediaTypeGraphQLResponse:
				qGraphQL = max(qGraphQL, q)
			case MediaTypeJSON:
				qJSON = max(qJSON, q)
			case "*/*", "application/*":
				qWildcard = max(qWildcard, q)
			}
		}
	}
	if qJSON < 0 {
		// Not named: it gets what the wildcards give it.
		qJSON = qWildcard
	}
	if qGraphQL > 0 && qGraphQL >= qJSON {
		return MediaTypeGraphQLResponse
	}
	return MediaTypeJSON
}
