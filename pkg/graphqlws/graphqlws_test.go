package graphqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/graphql-go/graphql"

	"carecoord/pkg/graphqlws"
)

type viewerKey struct{}

// probe records what the test schema's producers did.
type probe struct {
	started atomic.Int32
	stopped chan string // the name of each producer that returned
}

// testSchema has ticks(n) (n events, then the stream ends), forever (events
// until cancelled), broken (a Subscribe resolver that fails), and the query
// whoami (the viewer OnConnect put in the context).
func testSchema(t *testing.T) (graphql.Schema, *probe) {
	t.Helper()
	pr := &probe{stopped: make(chan string, 16)}
	produce := func(name string, n int, every time.Duration) graphql.FieldResolveFn {
		return func(p graphql.ResolveParams) (any, error) {
			ch := make(chan interface{})
			pr.started.Add(1)
			go func() {
				defer func() { pr.stopped <- name }()
				defer close(ch)
				for i := 1; n < 0 || i <= n; i++ {
					if every > 0 {
						select {
						case <-p.Context.Done():
							return
						case <-time.After(every):
						}
					}
					select {
					case <-p.Context.Done():
						return
					case ch <- i:
					}
				}
			}()
			return ch, nil
		}
	}
	source := func(p graphql.ResolveParams) (any, error) { return p.Source, nil }
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"whoami": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				v, _ := p.Context.Value(viewerKey{}).(string)
				return v, nil
			}},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"echo": &graphql.Field{Type: graphql.String,
				Args:    graphql.FieldConfigArgument{"s": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Args["s"], nil }},
		}}),
		Subscription: graphql.NewObject(graphql.ObjectConfig{Name: "Subscription", Fields: graphql.Fields{
			"ticks": &graphql.Field{Type: graphql.Int,
				Args: graphql.FieldConfigArgument{"n": {Type: graphql.NewNonNull(graphql.Int)}},
				Subscribe: func(p graphql.ResolveParams) (any, error) {
					return produce("ticks", p.Args["n"].(int), 0)(p)
				},
				Resolve: source},
			"forever": &graphql.Field{Type: graphql.Int, Subscribe: produce("forever", -1, 5*time.Millisecond), Resolve: source},
			"broken": &graphql.Field{Type: graphql.Int,
				Subscribe: func(graphql.ResolveParams) (any, error) { return nil, errors.New("no stream today") },
				Resolve:   source},
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return schema, pr
}

// server serves the handler and reports when each ServeHTTP returned, so a
// test can tell every goroutine of a connection has ended.
type server struct {
	*httptest.Server
	probe    *probe
	returned chan struct{}
}

func newServer(t *testing.T, opts graphqlws.Options) *server {
	t.Helper()
	schema, pr := testSchema(t)
	h := graphqlws.Handler(schema, opts)
	s := &server{probe: pr, returned: make(chan struct{}, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { s.returned <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) wsURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// waitReturned waits for the connection's handler to end (operations included).
func (s *server) waitReturned(t *testing.T) {
	t.Helper()
	select {
	case <-s.returned:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not return")
	}
}

func (s *server) waitStopped(t *testing.T, name string) {
	t.Helper()
	select {
	case got := <-s.probe.stopped:
		if got != name {
			t.Fatalf("producer %q stopped, want %q", got, name)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("producer %q was not cancelled", name)
	}
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, s *server, subprotocols ...string) *client {
	t.Helper()
	if subprotocols == nil {
		subprotocols = []string{graphqlws.Subprotocol}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{Subprotocols: subprotocols})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

type msg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() (msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return msg{}, err
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("server sent %s: %v", data, err)
	}
	return m, nil
}

func (c *client) expect(typ, id string) msg {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("want %s %s, got %v", typ, id, err)
	}
	if m.Type != typ || m.ID != id {
		c.t.Fatalf("want %s %q, got %s %q %s", typ, id, m.Type, m.ID, m.Payload)
	}
	return m
}

// expectClose reads until the server closes the socket and checks the code.
func (c *client) expectClose(code websocket.StatusCode) {
	c.t.Helper()
	for {
		m, err := c.read()
		if err == nil {
			if m.Type == "ping" {
				continue
			}
			c.t.Fatalf("want close %d, got message %s %s", code, m.Type, m.Payload)
		}
		if got := websocket.CloseStatus(err); got != code {
			c.t.Fatalf("want close %d, got %v", code, err)
		}
		return
	}
}

func (c *client) init() {
	c.t.Helper()
	c.sendRaw(`{"type":"connection_init","payload":{"authorization":"Bearer t"}}`)
	c.expect("connection_ack", "")
}

func (c *client) subscribe(id, query string) {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": query})
	c.sendRaw(`{"id":"` + id + `","type":"subscribe","payload":` + string(p) + `}`)
}

func authOptions(seen *sync.Map) graphqlws.Options {
	return graphqlws.Options{OnConnect: func(ctx context.Context, payload map[string]any) (context.Context, error) {
		a, _ := payload["authorization"].(string)
		if seen != nil {
			seen.Store(a, true)
		}
		if a == "" || a == "Bearer bad" {
			return nil, errors.New("no")
		}
		return context.WithValue(ctx, viewerKey{}, a), nil
	}}
}

func TestProtocolFlow(t *testing.T) {
	var seen sync.Map
	s := newServer(t, authOptions(&seen))
	c := dial(t, s)
	if got := c.ws.Subprotocol(); got != graphqlws.Subprotocol {
		t.Fatalf("subprotocol %q", got)
	}
	c.init()
	if _, ok := seen.Load("Bearer t"); !ok {
		t.Fatal("OnConnect did not see the connection_init payload")
	}

	c.subscribe("1", `subscription { ticks(n: 3) }`)
	for i := 1; i <= 3; i++ {
		m := c.expect("next", "1")
		if want := `{"data":{"ticks":` + string(rune('0'+i)) + `}}`; string(m.Payload) != want {
			t.Fatalf("next %d: %s, want %s", i, m.Payload, want)
		}
	}
	c.expect("complete", "1")
	s.waitStopped(t, "ticks")

	// A query and a mutation run once, under OnConnect's context.
	c.subscribe("q", `{ whoami }`)
	if m := c.expect("next", "q"); string(m.Payload) != `{"data":{"whoami":"Bearer t"}}` {
		t.Fatalf("query: %s", m.Payload)
	}
	c.expect("complete", "q")
	c.subscribe("m", `mutation { echo(s: "hi") }`)
	if m := c.expect("next", "m"); string(m.Payload) != `{"data":{"echo":"hi"}}` {
		t.Fatalf("mutation: %s", m.Payload)
	}
	c.expect("complete", "m")

	// An id may be used again once its operation completed.
	c.subscribe("1", `subscription { ticks(n: 1) }`)
	c.expect("next", "1")
	c.expect("complete", "1")
	s.waitStopped(t, "ticks")

	// Operations that cannot run answer error, without complete.
	for _, tc := range []struct{ id, query, want string }{
		{"syntax", `subscription {`, "Syntax Error"},
		{"invalid", `subscription { nope }`, `Cannot query field "nope"`},
		{"broken", `subscription { broken }`, "no stream today"},
		{"args", `subscription { ticks }`, `argument "n"`},
	} {
		c.subscribe(tc.id, tc.query)
		m := c.expect("error", tc.id)
		var errs []struct{ Message string }
		if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) == 0 || !strings.Contains(errs[0].Message, tc.want) {
			t.Fatalf("%s: error payload %s, want a GraphQL error with %q", tc.id, m.Payload, tc.want)
		}
	}
	// Still connected: the next message is the pong.
	c.sendRaw(`{"type":"ping"}`)
	c.expect("pong", "")

	if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	s.waitReturned(t)
}

func TestCloseCodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  graphqlws.Options
		steps func(c *client)
		code  websocket.StatusCode
	}{
		{"init timeout", graphqlws.Options{InitTimeout: 50 * time.Millisecond}, func(*client) {}, graphqlws.CloseInitTimeout},
		{"forbidden", authOptions(nil), func(c *client) {
			c.sendRaw(`{"type":"connection_init","payload":{"authorization":"Bearer bad"}}`)
		}, graphqlws.CloseForbidden},
		{"forbidden without payload", authOptions(nil), func(c *client) {
			c.sendRaw(`{"type":"connection_init"}`)
		}, graphqlws.CloseForbidden},
		{"subscribe before ack", graphqlws.Options{}, func(c *client) {
			c.subscribe("1", `subscription { ticks(n: 1) }`)
		}, graphqlws.CloseUnauthorized},
		{"duplicate id", graphqlws.Options{}, func(c *client) {
			c.init()
			c.subscribe("1", `subscription { forever }`)
			c.expect("next", "1")
			c.subscribe("1", `subscription { forever }`)
		}, graphqlws.CloseSubscriberExists},
		{"second init", graphqlws.Options{}, func(c *client) {
			c.init()
			c.sendRaw(`{"type":"connection_init"}`)
		}, graphqlws.CloseTooManyInitRequests},
		{"not JSON", graphqlws.Options{}, func(c *client) { c.sendRaw(`hello`) }, graphqlws.CloseBadRequest},
		{"no type", graphqlws.Options{}, func(c *client) { c.sendRaw(`{"id":"1"}`) }, graphqlws.CloseBadRequest},
		{"unknown type", graphqlws.Options{}, func(c *client) { c.init(); c.sendRaw(`{"type":"start","id":"1"}`) }, graphqlws.CloseBadRequest},
		{"server-only type", graphqlws.Options{}, func(c *client) { c.init(); c.sendRaw(`{"type":"next","id":"1"}`) }, graphqlws.CloseBadRequest},
		{"init payload not an object", graphqlws.Options{}, func(c *client) { c.sendRaw(`{"type":"connection_init","payload":[1]}`) }, graphqlws.CloseBadRequest},
		{"subscribe without id", graphqlws.Options{}, func(c *client) {
			c.init()
			c.sendRaw(`{"type":"subscribe","payload":{"query":"{ whoami }"}}`)
		}, graphqlws.CloseBadRequest},
		{"subscribe without query", graphqlws.Options{}, func(c *client) {
			c.init()
			c.sendRaw(`{"id":"1","type":"subscribe","payload":{}}`)
		}, graphqlws.CloseBadRequest},
		{"complete without id", graphqlws.Options{}, func(c *client) { c.init(); c.sendRaw(`{"type":"complete"}`) }, graphqlws.CloseBadRequest},
		{"binary frame", graphqlws.Options{}, func(c *client) {
			if err := c.ws.Write(context.Background(), websocket.MessageBinary, []byte(`{"type":"ping"}`)); err != nil {
				c.t.Fatal(err)
			}
		}, graphqlws.CloseBadRequest},
		{"no pong", graphqlws.Options{KeepAlive: 50 * time.Millisecond}, func(c *client) {
			c.init()
			c.expect("ping", "") // and do not answer
		}, websocket.StatusPolicyViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.opts)
			c := dial(t, s)
			tc.steps(c)
			c.expectClose(tc.code)
			s.waitReturned(t)
			// Whatever was running was cancelled.
			for range s.probe.started.Load() {
				s.waitStopped(t, "forever")
			}
		})
	}

	t.Run("no subprotocol", func(t *testing.T) {
		s := newServer(t, graphqlws.Options{})
		c := dial(t, s, "graphql-ws")
		c.expectClose(graphqlws.CloseSubprotocolNotAccepted)
		s.waitReturned(t)
	})
}

func TestPingPong(t *testing.T) {
	s := newServer(t, graphqlws.Options{KeepAlive: 100 * time.Millisecond})
	c := dial(t, s)
	// The client may ping before connection_init; the payload comes back.
	c.sendRaw(`{"type":"ping","payload":{"n":1}}`)
	if m := c.expect("pong", ""); string(m.Payload) != `{"n":1}` {
		t.Fatalf("pong payload %s", m.Payload)
	}
	c.init()
	// The server pings; a client that answers stays connected.
	for range 4 {
		c.expect("ping", "")
		c.sendRaw(`{"type":"pong"}`)
	}
	c.subscribe("1", `subscription { ticks(n: 1) }`)
	for {
		m, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "ping" {
			c.sendRaw(`{"type":"pong"}`)
			continue
		}
		if m.Type != "next" || m.ID != "1" {
			t.Fatalf("got %s %s", m.Type, m.ID)
		}
		break
	}
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	s.waitReturned(t)
}

func TestCompleteCancelsProducer(t *testing.T) {
	s := newServer(t, graphqlws.Options{KeepAlive: -1})
	c := dial(t, s)
	c.init()
	c.subscribe("a", `subscription { forever }`)
	c.expect("next", "a")
	c.subscribe("b", `subscription { forever }`)
	c.sendRaw(`{"id":"a","type":"complete"}`)
	s.waitStopped(t, "forever")
	// Completing an operation that is not running is not an error.
	c.sendRaw(`{"id":"zzz","type":"complete"}`)
	// Once the server has handled a's complete (the pong to a later ping
	// says so), only b's events come.
	c.sendRaw(`{"type":"ping"}`)
	for barrier := false; ; {
		m, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Type == "pong":
			barrier = true
		case m.Type == "next" && m.ID == "b":
			if barrier {
				goto done
			}
		case m.Type == "next" && m.ID == "a" && !barrier:
			// written before the server read the complete
		default:
			t.Fatalf("got %s %s %s (after the barrier: %v)", m.Type, m.ID, m.Payload, barrier)
		}
	}
done:
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
		if m := c.expect("next", "b"); m.Type != "next" {
			t.Fatal(m)
		}
	}
	// Closing the socket cancels b, and the handler waits for it.
	_ = c.ws.CloseNow()
	s.waitStopped(t, "forever")
	s.waitReturned(t)
	if n := s.probe.started.Load(); n != 2 {
		t.Fatalf("%d producers started", n)
	}
}

func TestMaxOperations(t *testing.T) {
	s := newServer(t, graphqlws.Options{MaxOperations: 1, KeepAlive: -1})
	c := dial(t, s)
	c.init()
	c.subscribe("a", `subscription { forever }`)
	c.expect("next", "a")
	c.subscribe("b", `subscription { forever }`)
	for {
		m, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "a" {
			continue
		}
		if m.Type != "error" || m.ID != "b" || !strings.Contains(string(m.Payload), "TOO_MANY_OPERATIONS") {
			t.Fatalf("got %s %s %s", m.Type, m.ID, m.Payload)
		}
		break
	}
	// Once a completes there is room again.
	c.sendRaw(`{"id":"a","type":"complete"}`)
	s.waitStopped(t, "forever")
	c.subscribe("c", `subscription { ticks(n: 1) }`)
	for {
		m, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "a" {
			continue // in flight before the complete
		}
		if m.Type != "next" || m.ID != "c" {
			t.Fatalf("got %s %s %s", m.Type, m.ID, m.Payload)
		}
		break
	}
	c.expect("complete", "c")
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	s.waitReturned(t)
}

func TestIsUpgrade(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	if graphqlws.IsUpgrade(r) {
		t.Fatal("plain GET is not an upgrade")
	}
	r.Header.Set("Connection", "keep-alive, Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Protocol", "graphql-ws")
	if graphqlws.IsUpgrade(r) {
		t.Fatal("the legacy subprotocol is not ours")
	}
	r.Header.Set("Sec-WebSocket-Protocol", "foo, graphql-transport-ws")
	if !graphqlws.IsUpgrade(r) {
		t.Fatal("upgrade with graphql-transport-ws not recognised")
	}
}

// The socket must outlive the http.Server's ReadTimeout and WriteTimeout
// (net/http clears their deadlines when the connection is hijacked), so the
// gateway can keep its timeouts for plain HTTP.
func TestOutlivesServerTimeouts(t *testing.T) {
	schema, _ := testSchema(t)
	srv := httptest.NewUnstartedServer(graphqlws.Handler(schema, graphqlws.Options{KeepAlive: -1}))
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := dial(t, &server{Server: srv})
	c.init()
	time.Sleep(300 * time.Millisecond)
	c.subscribe("1", `subscription { ticks(n: 2) }`)
	c.expect("next", "1")
	c.expect("next", "1")
	c.expect("complete", "1")
}
