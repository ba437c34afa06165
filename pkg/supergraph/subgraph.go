package supergraph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	lru "github.com/hashicorp/golang-lru/v2"
)

// GraphQLError is an error in a GraphQL response.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Error implements error.
func (e GraphQLError) Error() string { return e.Message }

// Subgraph is a federated subgraph the gateway sends documents to.
type Subgraph interface {
	// Name names the subgraph ("referrals").
	Name() string
	// Do executes a document. err is a transport failure; GraphQL errors
	// come back in errs, next to whatever data the subgraph returned.
	Do(ctx context.Context, query string, variables map[string]any) (data map[string]any, errs []GraphQLError, err error)
}

type inProcess struct {
	name   string
	schema graphql.Schema
	docs   *lru.Cache[string, *prepared]
}

// inProcessDocuments bounds how many parsed and validated documents an
// in-process subgraph keeps. The gateway sends the same few documents over
// and over (the representations are variables), so parsing and validating
// them once each is most of the work of a subgraph call saved.
const inProcessDocuments = 512

// prepared is a document parsed and validated against a subgraph's schema,
// or the errors graphql.Do would have returned for it.
type prepared struct {
	doc  *ast.Document
	errs []gqlerrors.FormattedError
}

// InProcess is a subgraph hosted in this process: documents are executed
// with graphql.Do and the caller's context, so whatever the context carries
// (the viewer) reaches the subgraph's resolvers.
func InProcess(name string, schema graphql.Schema) Subgraph {
	docs, err := lru.New[string, *prepared](inProcessDocuments)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &inProcess{name: name, schema: schema, docs: docs}
}

func (s *inProcess) Name() string { return s.name }

func (s *inProcess) Do(ctx context.Context, query string, variables map[string]any) (map[string]any, []GraphQLError, error) {
	var res *graphql.Result
	if p := s.prepare(query); p.doc == nil {
		res = &graphql.Result{Errors: p.errs}
	} else {
		res = graphql.Execute(graphql.ExecuteParams{Schema: s.schema, AST: p.doc, Args: variables, Context: ctx})
	}
	var errs []GraphQLError
	for _, e := range res.Errors {
		errs = append(errs, GraphQLError{Message: e.Message, Path: e.Path, Extensions: e.Extensions})
	}
	data, _ := res.Data.(map[string]any)
	return data, errs, nil
}

// prepare parses and validates query as graphql.Do would, once per query
// text while the cache keeps it. Validation depends only on the schema and
// the document, so a cached result is the result.
func (s *inProcess) prepare(query string) *prepared {
	if p, ok := s.docs.Get(query); ok {
		return p
	}
	p := &prepared{}
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(query), Name: "GraphQL request"})})
	if err != nil {
		p.errs = gqlerrors.FormatErrors(err)
	} else if vr := graphql.ValidateDocument(&s.schema, doc, nil); !vr.IsValid {
		p.errs = vr.Errors
	} else {
		p.doc = doc
	}
	s.docs.Add(query, p)
	return p
}

type remote struct {
	name, url string
	client    *http.Client
	headers   func(context.Context) http.Header
}

// Remote is a subgraph reached over GraphQL over HTTP (POST, JSON). headers,
// when not nil, gives the headers to send with each request (the
// Authorization header of the client's request, say).
func Remote(name, url string, client *http.Client, headers func(ctx context.Context) http.Header) Subgraph {
	if client == nil {
		client = http.DefaultClient
	}
	return &remote{name: name, url: url, client: client, headers: headers}
}

func (s *remote) Name() string { return s.name }

func (s *remote) Do(ctx context.Context, query string, variables map[string]any) (map[string]any, []GraphQLError, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return nil, nil, fmt.Errorf("supergraph: %s: %w", s.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("supergraph: %s: %w", s.name, err)
	}
	if s.headers != nil {
		for k, vs := range s.headers(ctx) {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("supergraph: %s: %w", s.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("supergraph: %s: %w", s.name, err)
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []GraphQLError `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&out); err != nil || (out.Data == nil && len(out.Errors) == 0) {
		return nil, nil, fmt.Errorf("supergraph: %s: HTTP %d: %.200s", s.name, resp.StatusCode, raw)
	}
	for i := range out.Errors {
		for j, p := range out.Errors[i].Path {
			if f, ok := p.(float64); ok {
				out.Errors[i].Path[j] = int(f)
			}
		}
	}
	return out.Data, out.Errors, nil
}
