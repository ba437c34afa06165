// Package graphqlhttp serves a graphql-go schema over HTTP as the GraphQL over
// HTTP specification describes: POST with a JSON body, GET with query
// parameters (queries only), and responses in application/json or, when the
// client asks for it, application/graphql-response+json.
//
// Parsing and validation are separate steps from execution (graphql.Do would
// redo them on every request) so that a document cache can slot in later.
//
// It is shared: the gateway serves its schema and the hosted subgraphs with
// it, and pkg/servicehost serves each service's subgraph when the service runs
// as its own process. So it imports only graphql-go and the standard library,
// no other carecoord package (authentication wraps it from outside). It never
// logs: query text and variables can hold patient data.
package graphqlhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// DefaultMaxBodyBytes is the largest request body accepted when Options
// does not say: far above any real query, far below a memory problem.
const DefaultMaxBodyBytes = 1 << 20

// Media types of GraphQL over HTTP.
const (
	MediaTypeJSON            = "application/json"
	MediaTypeGraphQLResponse = "application/graphql-response+json"
)

// Options tune the handler.
type Options struct {
	// MaxBodyBytes caps a POST body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// Handler serves schema.
func Handler(schema graphql.Schema, opts Options) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &handler{schema: schema, opts: opts}
}

type handler struct {
	schema graphql.Schema
	opts   Options
}

// request is the GraphQL-over-HTTP request body.
type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
	Extensions    map[string]any `json:"extensions"`
}

// requestError is a request that never reached execution, with the status it
// gets under each response media type.
type requestError struct {
	status int // HTTP status for every media type
	// graphqlStatus overrides status for application/graphql-response+json;
	// application/json keeps 200 for well-formed HTTP requests, as legacy
	// clients expect.
	graphqlStatus int
	errs          []gqlerrors.FormattedError
	allow         string
}

func httpError(status int, format string, args ...any) *requestError {
	return &requestError{status: status, errs: []gqlerrors.FormattedError{gqlerrors.NewFormattedError(fmt.Sprintf(format, args...))}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mediaType := negotiate(r.Header.Values("Accept"))
	req, rerr := h.decode(w, r)
	if rerr == nil {
		var doc *ast.Document
		doc, rerr = h.prepare(req, r.Method)
		if rerr == nil {
			res := graphql.Execute(graphql.ExecuteParams{
				Schema:        h.schema,
				AST:           doc,
				OperationName: req.OperationName,
				Args:          req.Variables,
				Context:       r.Context(),
			})
			write(w, mediaType, http.StatusOK, res)
			return
		}
	}
	status := rerr.status
	if mediaType == MediaTypeGraphQLResponse && rerr.graphqlStatus != 0 {
		status = rerr.graphqlStatus
	}
	if rerr.allow != "" {
		w.Header().Set("Allow", rerr.allow)
	}
	write(w, mediaType, status, &graphql.Result{Errors: rerr.errs})
}

// decode reads the request from the body (POST) or the URL (GET).
func (h *handler) decode(w http.ResponseWriter, r *http.Request) (request, *requestError) {
	var req request
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		req.Query = q.Get("query")
		req.OperationName = q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				return req, httpError(http.StatusBadRequest, "the variables parameter must be a JSON object")
			}
		}
	case http.MethodPost:
		ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != MediaTypeJSON {
			return req, httpError(http.StatusUnsupportedMediaType, "Content-Type must be %s", MediaTypeJSON)
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
		err = dec.Decode(&req)
		if err == nil && dec.Decode(&struct{}{}) != io.EOF {
			err = errors.New("trailing data")
		}
		if err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				return req, httpError(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", h.opts.MaxBodyBytes)
			}
			// The decoder's message can quote the body, which may hold
			// patient data: say what is wanted instead.
			return req, httpError(http.StatusBadRequest, `request body must be one JSON object: {"query": "...", "variables": {...}, "operationName": "..."}`)
		}
	default:
		return req, &requestError{status: http.StatusMethodNotAllowed, allow: "GET, POST",
			errs: gqlerrors.FormatErrors(errors.New("use GET or POST"))}
	}
	if strings.TrimSpace(req.Query) == "" {
		return req, httpError(http.StatusBadRequest, "a query is required")
	}
	return req, nil
}

// prepare parses and validates the document, and refuses operations that GET
// must not run (a GET can be replayed by caches and crawlers).
func (h *handler) prepare(req request, method string) (*ast.Document, *requestError) {
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{
		Body: []byte(req.Query),
		Name: "GraphQL request",
	})})
	if err != nil {
		return nil, &requestError{status: http.StatusOK, graphqlStatus: http.StatusBadRequest, errs: gqlerrors.FormatErrors(err)}
	}
	if vr := graphql.ValidateDocument(&h.schema, doc, nil); !vr.IsValid {
		return nil, &requestError{status: http.StatusOK, graphqlStatus: http.StatusBadRequest, errs: vr.Errors}
	}
	if method != http.MethodPost {
		if op := operationType(doc, req.OperationName); op != "" && op != ast.OperationTypeQuery {
			return nil, &requestError{status: http.StatusMethodNotAllowed, allow: "POST",
				errs: gqlerrors.FormatErrors(fmt.Errorf("a %s must be sent with POST", op))}
		}
	}
	return doc, nil
}

// operationType is the type of the operation that will run ("" when the
// document does not select exactly one; execution then reports it).
func operationType(doc *ast.Document, name string) string {
	found := ""
	for _, def := range doc.Definitions {
		op, ok := def.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		if name == "" {
			if found != "" {
				return ""
			}
			found = op.Operation
		} else if op.Name != nil && op.Name.Value == name {
			return op.Operation
		}
	}
	return found
}

func write(w http.ResponseWriter, mediaType string, status int, res *graphql.Result) {
	body, err := json.Marshal(res)
	if err != nil {
		// Resolvers return JSON-encodable values; this is a bug, and its
		// detail may hold data, so it is not echoed.
		status = http.StatusInternalServerError
		body = []byte(`{"errors":[{"message":"internal error encoding the response"}]}`)
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
