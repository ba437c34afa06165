package audit

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"carecoord/pkg/auth"
)

// Middleware audits the GraphQL requests next serves: it begins a record per
// request, and when next is done writes one entry if the request touched a
// patient, or whatever it touched if it was a mutation. It must run inside
// auth.Middleware (it reads the viewer from the request context); a request
// without a viewer is refused by the resolvers and leaves no entry.
//
// The operation is named by the request's operationName, else by the name
// of the operation in the document, else by the path; the kind is Command
// when the operation is a mutation. Both come from a lexical look at the
// request, not a parse: the GraphQL handler parses and validates it anyway.
func Middleware(w *Writer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		op := operationOf(r)
		ctx, rec := Begin(r.Context(), op)
		next.ServeHTTP(rw, r.WithContext(ctx))
		v, ok := auth.From(r.Context())
		if !ok || v.Subject == "" || !rec.Due() {
			return
		}
		w.Write(rec.Entry(v, time.Now()))
	})
}

// maxPeek is as much of a body as is read to name the operation: the
// GraphQL handler's own limit (a larger body is refused there).
const maxPeek = 1 << 20

// operationOf names a request's operation. A POST body it reads is put back
// for the handler.
func operationOf(r *http.Request) Operation {
	op := Operation{Name: r.URL.Path, Kind: Read, Endpoint: r.URL.Path}
	var query, name string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		query, name = q.Get("query"), q.Get("operationName")
	case http.MethodPost:
		ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != "application/json" || r.Body == nil {
			return op
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxPeek+1))
		r.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
		if err != nil || len(body) > maxPeek {
			return op
		}
		var req struct {
			Query         string `json:"query"`
			OperationName string `json:"operationName"`
		}
		if json.Unmarshal(body, &req) != nil {
			return op
		}
		query, name = req.Query, req.OperationName
	default:
		return op
	}
	docName, kind := operationIn(query, name)
	op.Kind = kind
	switch {
	case name != "":
		op.Name = name
	case docName != "":
		op.Name = docName
	}
	return op
}

type readCloser struct {
	io.Reader
	io.Closer
}

// operationIn finds the operation a document runs (the one called name, or
// the only one) and returns its name and kind. It scans tokens at the top
// level of the document, skipping comments, strings and everything nested,
// which is enough to tell "mutation" from "query" without parsing.
func operationIn(doc, name string) (string, Kind) {
	type operation struct {
		typ, name string
	}
	var ops []operation
	depth := 0
	// pending is the keyword of a definition whose body has not begun:
	// "query", "mutation", "subscription" or "fragment".
	pending, pendingName := "", ""
	afterAt := false
	for i := 0; i < len(doc); {
		c := doc[i]
		switch {
		case c == '#':
			for i < len(doc) && doc[i] != '\n' && doc[i] != '\r' {
				i++
			}
		case c == '"':
			i = skipString(doc, i)
		case c == '{' || c == '(' || c == '[':
			if c == '{' && depth == 0 {
				switch pending {
				case "query", "mutation", "subscription":
					ops = append(ops, operation{pending, pendingName})
				case "":
					ops = append(ops, operation{"query", ""}) // the shorthand
				}
				pending, pendingName = "", ""
			}
			depth++
			i++
		case c == '}' || c == ')' || c == ']':
			if depth > 0 {
				depth--
			}
			i++
		case isNameStart(c):
			j := i + 1
			for j < len(doc) && isNameChar(doc[j]) {
				j++
			}
			word := doc[i:j]
			i = j
			if depth > 0 {
				continue
			}
			switch {
			case afterAt:
				afterAt = false // a directive's name
			case pending == "" && (word == "query" || word == "mutation" || word == "subscription" || word == "fragment"):
				pending = word
			case pending != "" && pendingName == "":
				pendingName = word
			}
		case c == '@':
			afterAt = true
			i++
		default:
			i++
		}
	}
	var found *operation
	switch {
	case name == "" && len(ops) == 1:
		found = &ops[0]
	case name != "":
		for k := range ops {
			if ops[k].name == name {
				found = &ops[k]
			}
		}
	}
	if found == nil {
		return "", Read
	}
	if found.typ == "mutation" {
		return found.name, Command
	}
	return found.name, Read
}

// skipString returns the index after the string starting at i (a block
// string """...""" or a "..." string with escapes).
func skipString(doc string, i int) int {
	if strings.HasPrefix(doc[i:], `"""`) {
		for j := i + 3; j < len(doc); j++ {
			if doc[j] == '\\' && strings.HasPrefix(doc[j:], `\"""`) {
				j += 3
				continue
			}
			if strings.HasPrefix(doc[j:], `"""`) {
				return j + 3
			}
		}
		return len(doc)
	}
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"', '\n':
			return j + 1
		}
	}
	return len(doc)
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }
