// Package graphqlws serves a graphql-go schema over WebSocket with the
// graphql-transport-ws protocol (the GraphQL over WebSocket protocol of the
// graphql-ws library; https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
//
// A client opens a socket with the subprotocol graphql-transport-ws, sends
// connection_init (with an optional payload, where clients put their
// credentials) within [Options.InitTimeout], and once the server answers
// connection_ack it may send any number of subscribe messages, each with its
// own id. A subscription answers next for every event of its source stream
// and complete when the stream ends; a query or mutation answers one next and
// complete. An operation that cannot run (syntax, validation, a subscribe
// resolver that fails) answers error with GraphQL errors and no complete. A
// complete from the client stops its operation. ping is answered with pong,
// and the server pings the client itself every [Options.KeepAlive].
//
// Breaches of the protocol close the socket with its close codes:
//
//	4400  invalid message (not JSON, unknown type, missing id or query, binary frame)
//	4401  subscribe before connection_ack
//	4403  Options.OnConnect refused the connection
//	4406  the client did not offer the graphql-transport-ws subprotocol
//	4408  no connection_init within Options.InitTimeout
//	4409  subscribe with the id of an operation still running
//	4429  a second connection_init
//	1008  no pong (nor any other message) within Options.KeepAlive of a ping
//
// Every operation runs in its own goroutine under a context derived from the
// one OnConnect returned; all of them are cancelled, and waited for, when the
// socket closes. A connection runs at most [Options.MaxOperations] operations
// at once; one more is answered with an error (extensions.code
// TOO_MANY_OPERATIONS) rather than a closed socket.
//
// Subscriptions use graphql-go's model: the subscription field's Subscribe
// resolver returns a chan interface{} (its source stream; close it to end the
// subscription, and stop sending when ResolveParams.Context is done) and
// every value it sends is the root value of one execution of the operation.
// Like pkg/graphqlhttp it never logs: operations can hold patient data.
package graphqlws

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"carecoord/pkg/gql"
)

// Subprotocol is the WebSocket subprotocol the handler speaks.
const Subprotocol = "graphql-transport-ws"

// Close codes of the graphql-transport-ws protocol.
const (
	CloseBadRequest             websocket.StatusCode = 4400
	CloseUnauthorized           websocket.StatusCode = 4401
	CloseForbidden              websocket.StatusCode = 4403
	CloseSubprotocolNotAccepted websocket.StatusCode = 4406
	CloseInitTimeout            websocket.StatusCode = 4408
	CloseSubscriberExists       websocket.StatusCode = 4409
	CloseTooManyInitRequests    websocket.StatusCode = 4429
	CloseInternalServerError    websocket.StatusCode = 4500
)

// Message types of the graphql-transport-ws protocol.
const (
	typeConnectionInit = "connection_init"
	typeConnectionAck  = "connection_ack"
	typePing           = "ping"
	typePong           = "pong"
	typeSubscribe      = "subscribe"
	typeNext           = "next"
	typeError          = "error"
	typeComplete       = "complete"
)

// Defaults of [Options].
const (
	DefaultInitTimeout   = 3 * time.Second
	DefaultKeepAlive     = 12 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	DefaultMaxOperations = 100
	DefaultReadLimit     = 64 << 10
)

// Options configures [Handler]. The zero value is usable.
type Options struct {
	// InitTimeout is how long the client has to send connection_init after
	// the socket opens; then the socket is closed with 4408. Zero means
	// DefaultInitTimeout.
	InitTimeout time.Duration

	// OnConnect, when set, is called with the payload of connection_init
	// (nil when it had none) and the request's context. It returns the
	// context the connection's operations run under, typically carrying the
	// viewer it authenticated; an error closes the socket with 4403
	// Forbidden. A nil context keeps the one it was given.
	OnConnect func(ctx context.Context, payload map[string]any) (context.Context, error)

	// MaxOperations bounds the operations one connection runs at once
	// (subscriptions, and queries or mutations still executing). Zero means
	// DefaultMaxOperations; negative means no limit.
	MaxOperations int

	// KeepAlive is the interval of the server's ping messages. A client that
	// sends nothing (no pong, nor anything else) for a whole interval after a
	// ping is disconnected with 1008. Zero means DefaultKeepAlive; negative
	// disables the pings.
	KeepAlive time.Duration

	// WriteTimeout bounds each message the server writes. Zero means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// ReadLimit is the largest message the server reads, in bytes; a larger
	// one closes the socket with 1009. Zero means DefaultReadLimit.
	ReadLimit int64

	// RootValue, when set, gives the root value of every execution but
	// subscription events (whose root value is the event).
	RootValue func(ctx context.Context) any

	// Check, when set, vets each operation after validation, before it
	// runs: the errors it returns are sent instead (the limits on depth and
	// cost that the HTTP transport applies; see graphqlhttp.Limits).
	Check func(doc *ast.Document, op *ast.OperationDefinition, variables map[string]any) []gqlerrors.FormattedError

	// Execute runs queries and mutations (default graphql.Execute): the
	// gateway's supergraph executor, with the request's audit around it.
	// Subscriptions run with graphql.ExecuteSubscription on the schema.
	Execute func(graphql.ExecuteParams) *graphql.Result

	// OriginPatterns are the hosts other than the request's own whose
	// browsers may open a socket (see websocket.AcceptOptions). Cross-origin
	// requests are refused by default.
	OriginPatterns []string
}

func (o Options) withDefaults() Options {
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.MaxOperations == 0 {
		o.MaxOperations = DefaultMaxOperations
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	return o
}

// IsUpgrade reports whether r asks to open a WebSocket with the
// graphql-transport-ws subprotocol, which is how a server that serves GraphQL
// over HTTP and over WebSocket on one path tells the two apart.
func IsUpgrade(r *http.Request) bool {
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		return false
	}
	return headerHasToken(r.Header, "Sec-WebSocket-Protocol", Subprotocol)
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Handler returns an http.Handler that upgrades requests to WebSocket and
// serves schema over them with the graphql-transport-ws protocol.
func Handler(schema graphql.Schema, opts Options) http.Handler {
	gql.WarmEnums(schema)
	return &handler{schema: schema, opts: opts.withDefaults()}
}

type handler struct {
	schema graphql.Schema
	opts   Options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   []string{Subprotocol},
		OriginPatterns: h.opts.OriginPatterns,
	})
	if err != nil {
		return // Accept has written the response
	}
	if ws.Subprotocol() != Subprotocol {
		_ = ws.Close(CloseSubprotocolNotAccepted, "Subprotocol not acceptable")
		return
	}
	ws.SetReadLimit(h.opts.ReadLimit)

	ctx, cancel := context.WithCancel(r.Context())
	c := &conn{h: h, ws: ws, ctx: ctx, cancel: cancel, opCtx: ctx, ops: map[string]*operation{}}
	c.serve()
}

// conn is one socket.
type conn struct {
	h      *handler
	ws     *websocket.Conn
	ctx    context.Context // the socket's; done when it closes
	cancel context.CancelFunc

	mu          sync.Mutex
	initialised bool            // connection_init received
	acked       bool            // connection_ack sent
	opCtx       context.Context // parent of operations; from OnConnect
	ops         map[string]*operation
	closed      bool
	wg          sync.WaitGroup // running operations

	heard chan struct{} // a message arrived (buffer 1), for the keep-alive
}

type operation struct {
	ctx    context.Context
	cancel context.CancelFunc
	// mu is held while a message of the operation is written, so that once
	// the client's complete has been handled (stopped set) nothing more of
	// it is sent.
	mu      sync.Mutex
	stopped bool
}

// message is every message of the protocol, in both directions.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type subscribePayload struct {
	Query         *string        `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

func (c *conn) serve() {
	defer func() {
		c.cancel()
		c.mu.Lock()
		c.closed = true
		for id, op := range c.ops {
			op.cancel()
			delete(c.ops, id)
		}
		c.mu.Unlock()
		c.wg.Wait()
		_ = c.ws.CloseNow()
	}()

	initTimer := time.AfterFunc(c.h.opts.InitTimeout, func() {
		c.mu.Lock()
		late := !c.initialised
		c.mu.Unlock()
		if late {
			c.close(CloseInitTimeout, "Connection initialisation timeout")
		}
	})
	defer initTimer.Stop()

	c.heard = make(chan struct{}, 1)
	if c.h.opts.KeepAlive > 0 {
		go c.keepAlive(c.h.opts.KeepAlive)
	}

	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		select {
		case c.heard <- struct{}{}:
		default:
		}
		if typ != websocket.MessageText {
			c.close(CloseBadRequest, "Invalid message received: binary frame")
			return
		}
		if !c.handle(data) {
			return
		}
	}
}

// handle handles one message and reports whether the socket stays open.
func (c *conn) handle(data []byte) bool {
	var m message
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		c.close(CloseBadRequest, "Invalid message received")
		return false
	}
	switch m.Type {
	case typeConnectionInit:
		return c.connectionInit(m)
	case typePing:
		c.send(message{Type: typePong, Payload: m.Payload})
		return true
	case typePong:
		return true // any message counts for the keep-alive
	case typeSubscribe:
		return c.subscribe(m)
	case typeComplete:
		if m.ID == "" {
			c.close(CloseBadRequest, "Invalid message received: complete without id")
			return false
		}
		c.mu.Lock()
		op, ok := c.ops[m.ID]
		delete(c.ops, m.ID)
		c.mu.Unlock()
		if ok {
			op.cancel()
			op.mu.Lock() // waits out a message being written
			op.stopped = true
			op.mu.Unlock()
		}
		return true
	default:
		c.close(CloseBadRequest, "Invalid message received: unexpected type")
		return false
	}
}

func (c *conn) connectionInit(m message) bool {
	c.mu.Lock()
	again := c.initialised
	c.initialised = true
	c.mu.Unlock()
	if again {
		c.close(CloseTooManyInitRequests, "Too many initialisation requests")
		return false
	}
	var payload map[string]any
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &payload); err != nil {
			c.close(CloseBadRequest, "Invalid message received: connection_init payload is not an object")
			return false
		}
	}
	ctx := c.ctx
	if on := c.h.opts.OnConnect; on != nil {
		got, err := on(ctx, payload)
		if err != nil {
			c.close(CloseForbidden, "Forbidden")
			return false
		}
		if got != nil {
			ctx = got
		}
	}
	c.mu.Lock()
	c.opCtx = ctx
	c.acked = true
	c.mu.Unlock()
	c.send(message{Type: typeConnectionAck})
	return true
}

func (c *conn) subscribe(m message) bool {
	if m.ID == "" {
		c.close(CloseBadRequest, "Invalid message received: subscribe without id")
		return false
	}
	var p subscribePayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Query == nil {
		c.close(CloseBadRequest, "Invalid message received: subscribe payload without query")
		return false
	}

	c.mu.Lock()
	if !c.acked {
		c.mu.Unlock()
		c.close(CloseUnauthorized, "Unauthorized")
		return false
	}
	if _, dup := c.ops[m.ID]; dup {
		c.mu.Unlock()
		c.close(CloseSubscriberExists, truncate("Subscriber for "+m.ID+" already exists"))
		return false
	}
	if limit := c.h.opts.MaxOperations; limit > 0 && len(c.ops) >= limit {
		c.mu.Unlock()
		c.sendErrors(m.ID, []gqlerrors.FormattedError{{
			Message:    "too many operations on this connection",
			Extensions: map[string]any{"code": "TOO_MANY_OPERATIONS"},
		}})
		return true
	}
	ctx, cancel := context.WithCancel(c.opCtx)
	op := &operation{ctx: ctx, cancel: cancel}
	c.ops[m.ID] = op
	c.wg.Add(1)
	c.mu.Unlock()

	go c.run(m.ID, op, p)
	return true
}

// run executes one operation and sends its results.
func (c *conn) run(id string, op *operation, p subscribePayload) {
	ctx := op.ctx
	defer c.wg.Done()
	defer func() {
		op.cancel()
		c.mu.Lock()
		if c.ops[id] == op {
			delete(c.ops, id)
		}
		c.mu.Unlock()
	}()
	defer func() {
		if v := recover(); v != nil {
			c.sendErrorsFor(op, id, []gqlerrors.FormattedError{{
				Message:    "internal server error",
				Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"},
			}})
		}
	}()

	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{
		Body: []byte(*p.Query),
		Name: "GraphQL request",
	})})
	if err != nil {
		c.sendErrorsFor(op, id, gqlerrors.FormatErrors(err))
		return
	}
	if v := graphql.ValidateDocument(&c.h.schema, doc, nil); !v.IsValid {
		c.sendErrorsFor(op, id, v.Errors)
		return
	}
	opDef, errs := selectOperation(doc, p.OperationName)
	if errs != nil {
		c.sendErrorsFor(op, id, errs)
		return
	}

	if c.h.opts.Check != nil {
		if errs := c.h.opts.Check(doc, opDef, p.Variables); len(errs) > 0 {
			c.sendErrorsFor(op, id, errs)
			return
		}
	}

	if opDef.Operation != ast.OperationTypeSubscription {
		var root any
		if c.h.opts.RootValue != nil {
			root = c.h.opts.RootValue(ctx)
		}
		execute := graphql.Execute
		if c.h.opts.Execute != nil {
			execute = c.h.opts.Execute
		}
		res := execute(graphql.ExecuteParams{
			Schema:        c.h.schema,
			Root:          root,
			AST:           doc,
			OperationName: p.OperationName,
			Args:          p.Variables,
			Context:       ctx,
		})
		if c.sendFor(op, message{ID: id, Type: typeNext, Payload: mustJSON(res)}) {
			c.sendFor(op, message{ID: id, Type: typeComplete})
		}
		return
	}

	var root any
	if c.h.opts.RootValue != nil {
		root = c.h.opts.RootValue(ctx)
	}
	results := graphql.ExecuteSubscription(graphql.ExecuteParams{
		Schema:        c.h.schema,
		Root:          root,
		AST:           doc,
		OperationName: p.OperationName,
		Args:          p.Variables,
		Context:       ctx,
	})
	// graphql-go's goroutine sends on an unbuffered channel and only looks
	// at ctx between events, so the channel must be read until it closes or
	// that goroutine is left blocked.
	defer func() {
		op.cancel()
		for range results {
		}
	}()
	first := true
	for {
		select {
		case <-ctx.Done():
			return // the client completed it, or the socket closed: send nothing
		case res, ok := <-results:
			if !ok {
				c.sendFor(op, message{ID: id, Type: typeComplete})
				return
			}
			if first && res.Data == nil && len(res.Errors) > 0 {
				// The source stream could not be created (the Subscribe
				// resolver failed, or an argument was wrong).
				c.sendErrorsFor(op, id, res.Errors)
				return
			}
			first = false
			if !c.sendFor(op, message{ID: id, Type: typeNext, Payload: mustJSON(res)}) {
				return
			}
		}
	}
}

// selectOperation finds the operation of doc that runs, as graphql-go would.
func selectOperation(doc *ast.Document, name string) (*ast.OperationDefinition, []gqlerrors.FormattedError) {
	var found *ast.OperationDefinition
	for _, def := range doc.Definitions {
		op, ok := def.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		if name == "" {
			if found != nil {
				return nil, []gqlerrors.FormattedError{{Message: "Must provide operation name if query contains multiple operations."}}
			}
			found = op
		} else if op.Name != nil && op.Name.Value == name {
			found = op
		}
	}
	if found == nil {
		if name != "" {
			return nil, []gqlerrors.FormattedError{{Message: `Unknown operation named "` + name + `".`}}
		}
		return nil, []gqlerrors.FormattedError{{Message: "Must provide an operation."}}
	}
	return found, nil
}

func (c *conn) sendErrors(id string, errs []gqlerrors.FormattedError) {
	c.send(message{ID: id, Type: typeError, Payload: mustJSON(errs)})
}

func (c *conn) sendErrorsFor(op *operation, id string, errs []gqlerrors.FormattedError) {
	c.sendFor(op, message{ID: id, Type: typeError, Payload: mustJSON(errs)})
}

// sendFor sends m unless op has been completed by the client (or the socket
// closed), and reports whether it did.
func (c *conn) sendFor(op *operation, m message) bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.stopped || op.ctx.Err() != nil {
		return false
	}
	return c.send(m)
}

// send writes m, concurrently with other writers (websocket.Conn allows
// that), and reports whether it was written. A failed write closes the socket.
func (c *conn) send(m message) bool {
	data, err := json.Marshal(m)
	if err != nil {
		c.close(CloseInternalServerError, "Internal server error")
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.h.opts.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		c.cancel()
		return false
	}
	return true
}

// close closes the socket with code, once; the read loop then ends and the
// operations are cancelled.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	// Close sends the close frame and waits (up to 5s) for the client's; the
	// read loop, if it is the caller, is not reading meanwhile, which Close
	// handles by reading itself.
	_ = c.ws.Close(code, reason)
	c.cancel()
}

// keepAlive pings the client every interval and disconnects it when nothing
// arrived in the interval after a ping.
func (c *conn) keepAlive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	pinged := false
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		select {
		case <-c.heard:
			pinged = false
		default:
		}
		if pinged {
			c.close(websocket.StatusPolicyViolation, "pong not received")
			return
		}
		if !c.send(message{Type: typePing}) {
			return
		}
		pinged = true
	}
}

func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal([]gqlerrors.FormattedError{{Message: "result could not be encoded: " + err.Error()}})
	}
	return data
}

// truncate keeps a close reason within the 123 bytes a close frame allows.
func truncate(s string) string {
	const limit = 123
	if len(s) <= limit {
		return s
	}
	return s[:limit]
}
