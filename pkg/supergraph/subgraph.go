package supergraph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/graphql-go/graphql"
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
}

// InProcess is a subgraph hosted in this process: documents are executed
// with graphql.Do and the caller's context, so whatever the context carries
// (the viewer) reaches the subgraph's resolvers.
func InProcess(name string, schema graphql.Schema) Subgraph {
	return &inProcess{name: name, schema: schema}
}

func (s *inProcess) Name() string { return s.name }

func (s *inProcess) Do(ctx context.Context, query string, variables map[string]any) (map[string]any, []GraphQLError, error) {
	res := graphql.Do(graphql.Params{Schema: s.schema, RequestString: query, VariableValues: variables, Context: ctx})
	var errs []GraphQLError
	for _, e := range res.Errors {
		errs = append(errs, GraphQLError{Message: e.Message, Path: e.Path, Extensions: e.Extensions})
	}
	data, _ := res.Data.(map[string]any)
	return data, errs, nil
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
