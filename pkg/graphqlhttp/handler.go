// Package graphqlhttp serves a graphql-go schema over HTTP as the GraphQL over
// HTTP specification describes: POST with a JSON body, GET with query
// parameters (queries only), and responses in application/json or, when the
// client asks for it, application/graphql-response+json, each with the status
// codes that specification gives it:
//
//	                                              application/json   application/graphql-response+json
//	ran (data, perhaps with field errors)         200                200
//	did not run: syntax, validation, limits       200                400
//	  (QUERY_TOO_COMPLEX), unknown persisted query
//	  (PERSISTED_QUERY_NOT_FOUND), operation or
//	  variables that do not fit; no data entry
//	execution timed out (TIMEOUT), no data        200                504
//	not a GraphQL-over-HTTP request               400, 415 (Content-Type), 405 (method; a mutation over GET)
//	body too large (REQUEST_TOO_LARGE)            413
//	rate limited (RATE_LIMITED)                   429 with Retry-After
//
// application/json keeps 200 whenever the request was a well-formed GraphQL
// request, since a client cannot tell another status from one an
// intermediary made up. A request without Accept, or accepting neither media
// type, gets application/json: the specification now prefers
// application/graphql-response+json for a missing Accept, but legacy clients
// (and carecoord's e2e tests) expect JSON; for an unsupported Accept it
// allows either that or 406.
//
// It is also where a request is held to limits, because one careless or
// hostile client must not take the service from everyone else (see
// [Options]): the body size, the shape of the operation (depth and static
// cost, package querylimit), the client's request rate and the execution
// time. Each breach is an error with its own extensions.code.
//
// graphql.Do would parse and validate the query on every request; here those
// are separate steps from execution, and their outcome (the parsed document,
// the validation errors, the measured depth and cost) is cached by the
// SHA-256 of the query text. The same cache is the store of automatic
// persisted queries (Apollo's APQ protocol), whose key is that hash too, so
// a client can send the hash alone once the server has seen the text.
//
// It is shared: the gateway serves its schema and the hosted subgraphs with
// it, and pkg/servicehost serves each service's subgraph when the service runs
// as its own process. So besides graphql-go and two small libraries it
// imports only pkg/auth (to rate-limit per viewer), pkg/gql and pkg/querylimit;
// authentication wraps it from outside. It never logs: query text and
// variables can hold patient data.
package graphqlhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"carecoord/pkg/gql"
	"carecoord/pkg/querylimit"
)

// Defaults of [Options]: each far above what a carecoord screen needs, far
// below what would hurt the service.
const (
	DefaultMaxBodyBytes      = 1 << 20
	DefaultMaxDepth          = 12
	DefaultMaxCost           = 5000
	DefaultListSize          = 10
	DefaultTimeout           = 10 * time.Second
	DefaultRatePerSecond     = 50
	DefaultRateBurst         = 100
	DefaultDocumentCacheSize = 1000
)

// DefaultMaxConcurrentQueries is two queries a core: one running, one
// ready for when the first waits (on a remote subgraph, say).
var DefaultMaxConcurrentQueries = 2 * runtime.GOMAXPROCS(0)

// Media types of GraphQL over HTTP.
const (
	MediaTypeJSON            = "application/json"
	MediaTypeGraphQLResponse = "application/graphql-response+json"
)

// The extensions.code of each error this package raises itself (resolvers
// raise the others of API.md).
const (
	CodeQueryTooComplex        = querylimit.Code
	CodeRequestTooLarge        = "REQUEST_TOO_LARGE"
	CodeTimeout                = "TIMEOUT"
	CodeRateLimited            = "RATE_LIMITED"
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	CodeBadUserInput           = "BAD_USER_INPUT"
	CodeUnavailable            = "UNAVAILABLE"
)

// Options tune the handler. The zero value of each field means its default.
// A negative MaxDepth, MaxCost, Timeout, RatePerSecond or DocumentCacheSize
// turns that limit (or the cache) off.
type Options struct {
	// MaxBodyBytes caps a POST body: a larger one is refused with 413 and
	// REQUEST_TOO_LARGE (default DefaultMaxBodyBytes).
	MaxBodyBytes int64

	// MaxDepth caps how deeply an operation nests selection sets, fragments
	// expanded (default DefaultMaxDepth); see querylimit.Depth.
	MaxDepth int
	// MaxCost caps an operation's static cost (default DefaultMaxCost): each
	// field 1, a list field multiplying what it selects by its first, last
	// or limit argument or else by ListSize; see package querylimit.
	MaxCost int
	// ListSize is the number of items the cost assumes a list field returns
	// when it has no size argument (default DefaultListSize).
	ListSize int

	// Timeout bounds execution: the resolvers' context has this deadline,
	// and a request that reaches it gets TIMEOUT (default DefaultTimeout).
	Timeout time.Duration

	// RatePerSecond and RateBurst size the token bucket of each client
	// (defaults DefaultRatePerSecond and DefaultRateBurst): a request
	// beyond it is refused with 429, Retry-After and RATE_LIMITED.
	RatePerSecond float64
	RateBurst     int
	// RateKey names the client a request counts against; "" exempts the
	// request. Default: the viewer's subject (auth.From) when the request
	// is authenticated, otherwise the remote IP address.
	RateKey func(*http.Request) string

	// DocumentCacheSize is how many parsed and validated documents (which
	// are also the known persisted queries) are kept, least recently used
	// dropped first (default DefaultDocumentCacheSize). Negative turns the
	// cache off, and with it persisted queries.
	DocumentCacheSize int

	// MaxConcurrentQueries is how many queries execute at once (default
	// DefaultMaxConcurrentQueries); the rest wait their turn in arrival
	// order. Executing a query is CPU work: beyond a few per core, more at
	// once only share the cores less fairly, and the slowest answers get
	// slower. Mutations are not held back: they spend their time waiting
	// for the store, and share its commits the more of them run at once.
	MaxConcurrentQueries int

	// Execute runs a parsed and validated document (default
	// graphql.Execute): the gateway passes its supergraph's executor, which
	// delegates to the subgraphs. The document cache and every limit apply
	// as before; ExecuteParams.Schema is the handler's schema.
	Execute func(graphql.ExecuteParams) *graphql.Result
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&o.MaxDepth, DefaultMaxDepth)
	def(&o.MaxCost, DefaultMaxCost)
	if o.ListSize <= 0 {
		o.ListSize = DefaultListSize
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RatePerSecond == 0 {
		o.RatePerSecond = DefaultRatePerSecond
	}
	if o.RateBurst <= 0 {
		o.RateBurst = DefaultRateBurst
	}
	if o.RateKey == nil {
		o.RateKey = ViewerOrIP
	}
	def(&o.DocumentCacheSize, DefaultDocumentCacheSize)
	def(&o.MaxConcurrentQueries, DefaultMaxConcurrentQueries)
	if o.Execute == nil {
		o.Execute = graphql.Execute
	}
	return o
}

// Handler serves schema.
func Handler(schema graphql.Schema, opts Options) http.Handler {
	opts = opts.withDefaults()
	gql.WarmEnums(schema)
	h := &handler{schema: schema, opts: opts, now: time.Now}
	h.docs = newDocumentCache(opts.DocumentCacheSize)
	if opts.RatePerSecond > 0 {
		h.limiter = newRateLimiter(opts.RatePerSecond, opts.RateBurst)
	}
	if opts.MaxConcurrentQueries > 0 {
		h.queries = make(chan struct{}, opts.MaxConcurrentQueries)
	}
	return h
}

type handler struct {
	schema  graphql.Schema
	opts    Options
	docs    *documentCache
	limiter *rateLimiter // nil: no rate limit
	// queries holds a token for each query executing (nil: no limit).
	// Goroutines blocked sending on a channel are woken in the order they
	// blocked, so waiting queries run first come, first served.
	queries chan struct{}
	now     func() time.Time

	// parses counts documents parsed, for tests of the cache.
	parses atomic.Int64
}

// request is the GraphQL-over-HTTP request body.
type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
	Extensions    map[string]any `json:"extensions"`
}

// requestError is a request that never reached execution (or whose execution
// was cut off), with the status it gets under each response media type.
type requestError struct {
	status int // HTTP status for every media type
	// graphqlStatus overrides status for application/graphql-response+json;
	// application/json keeps 200 for well-formed GraphQL-over-HTTP requests,
	// the only status on which a client can trust an application/json body.
	graphqlStatus int
	errs          []gqlerrors.FormattedError
	header        http.Header
}

func httpError(status int, format string, args ...any) *requestError {
	return &requestError{status: status, errs: []gqlerrors.FormattedError{gqlerrors.NewFormattedError(fmt.Sprintf(format, args...))}}
}

// graphqlError is a GraphQL request error: 200 as application/json, 400 as
// application/graphql-response+json.
func graphqlError(errs ...gqlerrors.FormattedError) *requestError {
	return &requestError{status: http.StatusOK, graphqlStatus: http.StatusBadRequest, errs: errs}
}

// coded is an error with an extensions.code.
func coded(code, format string, args ...any) gqlerrors.FormattedError {
	e := gqlerrors.NewFormattedError(fmt.Sprintf(format, args...))
	e.Extensions = map[string]any{"code": code}
	return e
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mediaType := negotiate(r.Header.Values("Accept"))
	res, rerr := h.serve(w, r)
	if rerr != nil {
		status := rerr.status
		if mediaType == MediaTypeGraphQLResponse && rerr.graphqlStatus != 0 {
			status = rerr.graphqlStatus
		}
		for k, v := range rerr.header {
			w.Header()[k] = v
		}
		write(w, mediaType, status, &response{Errors: rerr.errs})
		return
	}
	write(w, mediaType, http.StatusOK, &response{Errors: res.Errors, Data: res.Data, Extensions: res.Extensions})
}

// serve runs the request: either a result that has data, or a requestError.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) (*graphql.Result, *requestError) {
	if rerr := h.rateLimit(r); rerr != nil {
		return nil, rerr
	}
	req, rerr := h.decode(w, r)
	if rerr != nil {
		return nil, rerr
	}
	doc, rerr := h.document(req)
	if rerr != nil {
		return nil, rerr
	}
	if len(doc.errs) > 0 {
		return nil, graphqlError(doc.errs...)
	}
	op := doc.operation(req.OperationName)
	if rerr := h.admit(op, req, r.Method); rerr != nil {
		return nil, rerr
	}
	if op != nil && op.typ == ast.OperationTypeQuery && h.queries != nil {
		release, rerr := h.waitTurn(r.Context())
		if rerr != nil {
			return nil, rerr
		}
		defer release()
	}
	return h.execute(r.Context(), doc, req)
}

// waitTurn waits, in arrival order, until fewer than MaxConcurrentQueries
// queries execute, for no longer than the execution timeout.
func (h *handler) waitTurn(ctx context.Context) (release func(), rerr *requestError) {
	select {
	case h.queries <- struct{}{}:
		return func() { <-h.queries }, nil
	default:
	}
	var expired <-chan time.Time
	if h.opts.Timeout > 0 {
		t := time.NewTimer(h.opts.Timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case h.queries <- struct{}{}:
		return func() { <-h.queries }, nil
	case <-ctx.Done():
	case <-expired:
	}
	return nil, &requestError{status: http.StatusOK, graphqlStatus: http.StatusServiceUnavailable, errs: []gqlerrors.FormattedError{
		coded(CodeUnavailable, "the server was too busy to start the query within %s: retry in a moment", h.opts.Timeout)}}
}

// decode reads the request from the body (POST) or the URL (GET).
func (h *handler) decode(w http.ResponseWriter, r *http.Request) (request, *requestError) {
	var req request
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		req.Query = q.Get("query")
		req.OperationName = q.Get("operationName")
		for _, p := range []struct {
			name string
			into *map[string]any
		}{{"variables", &req.Variables}, {"extensions", &req.Extensions}} {
			if v := q.Get(p.name); v != "" {
				if err := json.Unmarshal([]byte(v), p.into); err != nil {
					return req, httpError(http.StatusBadRequest, "the %s parameter must be a JSON object", p.name)
				}
			}
		}
	case http.MethodPost:
		ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != MediaTypeJSON {
			return req, httpError(http.StatusUnsupportedMediaType, "Content-Type must be %s", MediaTypeJSON)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return req, httpError(http.StatusUnsupportedMediaType, "the request body must be UTF-8 (Content-Type: %s; charset=utf-8)", MediaTypeJSON)
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
		err = dec.Decode(&req)
		if err == nil && dec.Decode(&struct{}{}) != io.EOF {
			err = errors.New("trailing data")
		}
		if err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				return req, &requestError{status: http.StatusRequestEntityTooLarge, errs: []gqlerrors.FormattedError{
					coded(CodeRequestTooLarge, "the request body is larger than %d bytes: send a shorter query, or its persisted-query hash", h.opts.MaxBodyBytes)}}
			}
			// The decoder's message can quote the body, which may hold
			// patient data: say what is wanted instead.
			return req, httpError(http.StatusBadRequest, `request body must be one JSON object: {"query": "...", "variables": {...}, "operationName": "..."}`)
		}
	default:
		return req, &requestError{status: http.StatusMethodNotAllowed, header: http.Header{"Allow": {"GET, POST"}},
			errs: gqlerrors.FormatErrors(errors.New("use GET or POST"))}
	}
	return req, nil
}

// admit refuses an operation that this transport must not run, or that is
// over the cost limit.
func (h *handler) admit(op *operation, req request, method string) *requestError {
	if op == nil {
		// No operation or an ambiguous one: execution reports it.
		return nil
	}
	if op.typ == ast.OperationTypeSubscription {
		return graphqlError(gqlerrors.NewFormattedError("subscriptions are served over WebSocket (subprotocol graphql-transport-ws), not over HTTP"))
	}
	if method != http.MethodPost && op.typ != ast.OperationTypeQuery {
		// A GET can be replayed by caches and crawlers.
		return &requestError{status: http.StatusMethodNotAllowed, header: http.Header{"Allow": {"POST"}},
			errs: gqlerrors.FormatErrors(fmt.Errorf("a %s must be sent with POST", op.typ))}
	}
	if h.opts.MaxCost > 0 {
		cost := op.cost
		if op.costReadsVariables {
			cost, _ = querylimit.Cost(&h.schema, op.doc, op.def, req.Variables, h.opts.ListSize)
		}
		if cost > h.opts.MaxCost {
			return graphqlError(costError(cost, h.opts))
		}
	}
	return nil
}

// execute runs the document under the execution timeout.
func (h *handler) execute(ctx context.Context, doc *document, req request) (*graphql.Result, *requestError) {
	if h.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
	}
	res := h.opts.Execute(graphql.ExecuteParams{
		Schema:        h.schema,
		AST:           doc.ast,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Context:       ctx,
	})
	// When the deadline passes, graphql.Execute returns at once with no data
	// (its resolvers carry on, with their context done), or, if a resolver
	// that saw the deadline finished first, with data that is missing what
	// that resolver would have given. Either way the answer is cut short:
	// the client gets TIMEOUT, the same whichever came first.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && (res.Data == nil || anyDeadline(res.Errors)) {
		return nil, &requestError{
			// application/json: 200, the only status on which a client can
			// trust the body. application/graphql-response+json: a response
			// without data must be 4xx or 5xx, and 504 is the timeout a
			// client or proxy knows to retry (408 would blame the client's
			// upload, 503 an overloaded server).
			status: http.StatusOK, graphqlStatus: http.StatusGatewayTimeout,
			errs: []gqlerrors.FormattedError{coded(CodeTimeout,
				"the request did not finish within %s and was stopped; part of it may have run: retry (a mutation with the same commandId), or ask for less",
				h.opts.Timeout)},
		}
	}
	if res.Data == nil {
		// A request error raised by execution before it started: no
		// operation to run, or variables that do not fit their types.
		return nil, graphqlError(res.Errors...)
	}
	return res, nil
}

// anyDeadline reports whether an error was caused by a context deadline.
func anyDeadline(errs []gqlerrors.FormattedError) bool {
	for _, e := range errs {
		err := e.OriginalError()
		if ge, ok := err.(*gqlerrors.Error); ok {
			err = ge.OriginalError
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return true
		}
	}
	return false
}

// response is a GraphQL response. Unlike graphql.Result it leaves out data
// when there is none: a request error that stopped execution has no data
// entry, which is what tells a client (and the status code rules of
// application/graphql-response+json) that nothing ran.
type response struct {
	Errors     []gqlerrors.FormattedError `json:"errors,omitempty"`
	Data       any                        `json:"data,omitempty"`
	Extensions map[string]any             `json:"extensions,omitempty"`
}

func write(w http.ResponseWriter, mediaType string, status int, res *response) {
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
