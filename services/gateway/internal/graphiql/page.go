package graphiql

import (
	"bytes"
	"encoding/json"
	"html/template"
	"path"
)

// TokenPlaceholder stands in the headers editor for the token a user
// pastes; the page's fetcher leaves an Authorization that still holds it
// out of its requests, so that the schema loads before a token is pasted.
const TokenPlaceholder = "<paste a token>"

// DefaultQuery is the first query a new user sees: who the token says they
// are and what they can reach, which any role may run.
const DefaultQuery = `# Welcome to carecoord's GraphQL API.
#
# 1. Get a token, e.g. where you ran make run:
#    ./bin/carecoord token --data-dir .data --role ict_clinician --locality leek --name "Sam Example"
#    Roles: ict_clinician (with --locality),
#    bed_manager, falls_dispatcher, admin.
# 2. Paste it into Headers below, in place of
#    <paste a token>.
# 3. Run it with the play button, or Ctrl-Enter.
#
# The docs (top icon on the left) list every
# type and field. Subscriptions go over
# WebSocket with the same headers, e.g. for a
# falls_dispatcher:
#   subscription { fallsQueueChanged { id } }

query WhoAmI {
  me {
    name
    role
    localities
  }
  localities {
    id
    name
  }
  serverInfo {
    version
    storeBackend
  }
}
`

// config is what the page's script reads from the page.
type config struct {
	DefaultQuery     string `json:"defaultQuery"`
	DefaultHeaders   string `json:"defaultHeaders"`
	TokenPlaceholder string `json:"tokenPlaceholder"`
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>carecoord GraphiQL</title>
<link rel="icon" href="data:,">
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}</head>
<body>
<div id="graphiql"><p class="carecoord-loading">Loading GraphiQL&hellip;</p></div>
<noscript><p>GraphiQL needs JavaScript.</p></noscript>
<script type="application/json" id="carecoord-graphiql-config">{{.Config}}</script>
{{range .Scripts}}<script src="{{.}}"></script>
{{end}}</body>
</html>
`))

// render is the page with every file at its hashed, relative address.
func (p *Page) render() []byte {
	cfg, err := json.Marshal(config{
		DefaultQuery:     DefaultQuery,
		DefaultHeaders:   "{\n  \"Authorization\": \"Bearer " + TokenPlaceholder + "\"\n}",
		TokenPlaceholder: TokenPlaceholder,
	})
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	data := struct {
		Styles, Scripts []string
		// json.Marshal escapes <, > and &, so the JSON cannot end the
		// script element it is in.
		Config template.JS
	}{Config: template.JS(cfg)}
	for _, name := range append(append([]string(nil), assetFiles...), pageFiles...) {
		u := p.url(name)
		switch {
		case u == "":
		case path.Ext(name) == ".css":
			data.Styles = append(data.Styles, u)
		default:
			data.Scripts = append(data.Scripts, u)
		}
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		panic(err) // the template and its data are fixed
	}
	return buf.Bytes()
}

// missingHTML is the page of a binary built without GraphiQL's files.
const missingHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>carecoord: GraphiQL is not in this build</title>
</head>
<body>
<h1>GraphiQL is not in this build of carecoord</h1>
<p>This binary was built without GraphiQL's browser files, which come from the
npm packages pinned in <code>web/graphiql</code>. To add them, in the carecoord
repository (Node.js 18 or later with npm installed):</p>
<pre>make graphiql   # installs the packages and copies their browser files
make build      # builds them into bin/carecoord (make build runs make graphiql too)</pre>
<p>Then start carecoord again and reload this page. GraphQL itself works
without them: POST queries to this address, or GET it with a
<code>query</code> parameter.</p>
</body>
</html>
`
