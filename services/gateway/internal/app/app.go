// Package app wires a carecoord process together: it opens the event store,
// builds the GraphQL schema and the HTTP server, serves until told to stop,
// and then stops every component in reverse order. It is the one place that
// knows how the parts fit; everything else is handed what it needs.
//
// It may import every package of the gateway and pkg/.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"go.uber.org/zap"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/buildinfo"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/eventstore/raftstore"
	"carecoord/pkg/graphqlhttp"
	"carecoord/pkg/graphqlws"
	"carecoord/pkg/locality"
	"carecoord/pkg/logging"
	"carecoord/pkg/supergraph"
	"carecoord/services/gateway/internal/config"
	"carecoord/services/gateway/internal/graphiql"
	"carecoord/services/gateway/internal/graphqlapi"
	"carecoord/services/gateway/internal/hosting"
	"carecoord/services/gateway/internal/server"
	"carecoord/services/gateway/internal/shutdown"
)

// Run serves until ctx is done (SIGINT or SIGTERM in main), then shuts down:
// the HTTP server stops accepting and finishes in-flight requests, the other
// components stop in the reverse order of their start, and the store closes
// last. It writes the listening address to stdout and logs to logger. It
// returns nil after a clean shutdown.
func Run(ctx context.Context, cfg config.Config, stdout io.Writer, logger *zap.Logger) error {
	var hooks shutdown.Hooks
	err := start(ctx, cfg, stdout, logger, &hooks)
	if err != nil {
		logger.Error("start-up or serving failed; shutting down", zap.Error(err))
	} else {
		logger.Info("shutting down")
	}
	// Shutdown gets its own deadline: ctx is already done by now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if serr := hooks.Run(sctx, logger); serr != nil {
		return errors.Join(err, serr)
	}
	logger.Info("shutdown complete")
	return err
}

// start brings the components up in dependency order, registering each one's
// stop step as soon as it is up, then serves until ctx is done or the server
// fails.
//
// To extend the process:
//   - a component that must stop cleanly: hooks.Add right after starting it
//     (hooks run last-added first, so add a component after what it uses);
//   - a readiness condition: append to checks before the server is built;
//   - GraphQL types and fields: a service's in its federated subgraph; the
//     gateway's own in package graphqlapi (Compose), fed through
//     graphqlapi.Deps.
func start(ctx context.Context, cfg config.Config, stdout io.Writer, logger *zap.Logger, hooks *shutdown.Hooks) error {
	logger.Info("starting carecoord", zap.String("version", buildinfo.Version), zap.String("data_dir", cfg.DataDir))
	rt, err := openRuntime(ctx, cfg, logger, hooks)
	if err != nil {
		return err
	}
	checks := []server.Check{
		{Name: "eventstore", Fn: storeReadable(rt.store)},
		{Name: "subscriptions", Fn: func(context.Context) error { return rt.caughtUp() }},
	}

	verifier, err := tokenVerifier(ctx, cfg, logger)
	if err != nil {
		return err
	}
	verifier = auth.Cached(verifier)
	// Every GraphQL request is audited (see pkg/audit): the writer appends
	// the entries in batches, and stops, flushing what is queued, after the
	// HTTP server and before the event handlers and the store.
	auditWriter, err := audit.NewWriter(audit.WriterConfig{Store: rt.store, Logger: logger.Named("audit")})
	if err != nil {
		return err
	}
	hooks.Add("audit writer", func(ctx context.Context) error {
		closed := make(chan error, 1)
		go func() { closed <- auditWriter.Close() }()
		select {
		case err := <-closed:
			return err
		case <-ctx.Done():
			return fmt.Errorf("audit entries still queued: %w", ctx.Err())
		}
	})
	// The viewer is known before the audit record begins, so that the
	// entry can say who.
	withViewer := func(h http.Handler) http.Handler {
		return auth.Middleware(verifier, audit.Middleware(auditWriter, h))
	}

	// /graphql serves the one composed schema: the hosted services'
	// federated subgraphs, in process, the remote ones (--subgraph) over
	// HTTP, with the gateway's own fields. A remote subgraph must answer
	// at start: see composeSupergraph.
	feds, err := federatedSchemas(rt)
	if err != nil {
		return err
	}
	sg, err := composeSupergraph(ctx, cfg, rt, feds, graphqlapi.ServerInfo{Version: buildinfo.Version, StoreBackend: rt.store.Backend()}, auditWriter, logger)
	if err != nil {
		return err
	}
	// Each service's own subgraph is also served on its own path, and its
	// federated subgraph next to it, for gateways in other processes.
	subgraphs := map[string]http.Handler{}
	federated := map[string]http.Handler{}
	for _, svc := range rt.services {
		s, err := svc.Schema()
		if err != nil {
			return fmt.Errorf("%s subgraph: %w", svc.Name, err)
		}
		subgraphs[svc.Name] = withViewer(graphqlhttp.Handler(s, graphqlhttp.Options{}))
		federated[svc.Name] = withViewer(graphqlhttp.Handler(feds[svc.Name], graphqlhttp.Options{}))
	}

	// GET /graphql with a WebSocket upgrade serves subscriptions (and
	// queries) over graphql-transport-ws; the client authenticates with
	// {"authorization": "Bearer <token>"} in connection_init.
	graphQL := forwardHeaders(withViewer(rt.linearizable(graphqlhttp.Handler(sg.Schema(), graphqlhttp.Options{Execute: sg.Execute}))))
	schema := sg.Schema()
	graphQLWS := graphqlws.Handler(schema, graphqlws.Options{
		OnConnect: wsAuthenticate(verifier),
		Execute:   audited(sg.Execute, auditWriter),
		Check:     graphqlhttp.Limits(&schema, graphqlhttp.Options{}),
	})
	handler := server.New(server.Config{
		Logger: logger,
		Checks: checks,
		GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if graphqlws.IsUpgrade(r) {
				graphQLWS.ServeHTTP(w, r)
				return
			}
			graphQL.ServeHTTP(w, r)
		}),
		// A browser's GET /graphql gets the GraphiQL page, built into
		// the binary (make graphiql).
		GraphiQL:  graphiql.Handler(),
		Subgraphs: subgraphs,
		Federated: federated,
		WarmUp:    rt.caughtUp,
	})
	return serveHTTP(ctx, cfg, handler, stdout, logger, hooks)
}

// runtime is what serve and seed share: the store, the event bus and the
// hosted services, already running.
type runtime struct {
	localities *locality.Registry
	store      eventstore.Store
	// node is the store when this process is a raft node (else nil).
	node *raftstore.Store
	// clusterPosition is, on a raft node, one more than the position of the
	// log's end once the node had caught up with the cluster after its
	// start (0: not yet).
	clusterPosition atomic.Uint64
	bus             *eventbus.Bus
	services        []hosting.Service
	// trail is the audit trail read model (who has looked at a record).
	trail *audit.Trail
}

// openRuntime opens the store, builds the hosted services (which register
// their projections and reactions on the bus) and then runs the bus.
func openRuntime(ctx context.Context, cfg config.Config, logger *zap.Logger, hooks *shutdown.Hooks) (*runtime, error) {
	names, err := hosting.Parse(cfg.Services)
	if err != nil {
		return nil, err
	}
	store, node, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	hooks.Add("eventstore", func(context.Context) error { return store.Close() })
	logger.Info("event store open", zap.String("backend", store.Backend()))

	busCfg := eventbus.Config{Store: store, Logger: logger.Named("eventbus")}
	if node != nil {
		// A cluster runs each process manager on its leader alone, with
		// its checkpoint in the replicated log for the next leader; saved
		// each second, since each save is a replicated append.
		busCfg.Checkpoints = checkpoint.NewInStore(store)
		busCfg.Leadership = node.LeaderChanges
		busCfg.FlushInterval = time.Second
	} else {
		cps, err := checkpoint.Open(filepath.Join(cfg.DataDir, "local", "checkpoints"))
		if err != nil {
			return nil, err
		}
		hooks.Add("checkpoints", func(context.Context) error { return cps.Close() })
		busCfg.Checkpoints = cps
	}
	bus, err := eventbus.New(busCfg)
	if err != nil {
		return nil, err
	}
	localities := locality.Default()
	if cfg.LocalitiesFile != "" {
		if localities, err = locality.Load(cfg.LocalitiesFile); err != nil {
			return nil, fmt.Errorf("localities: %w", err)
		}
	}
	// A node of a cluster builds every service, whichever it serves: the
	// leader runs every process manager (which need their service's
	// commands and read models), and leadership may move to any node.
	// --services then chooses the subgraphs the node serves.
	build := names
	if node != nil {
		build = hosting.Names
	}
	built, err := hosting.Build(build, hosting.Deps{Store: store, Bus: bus, Localities: localities, Logger: logger,
		HospitalsFile: cfg.HospitalsFile, RespondersFile: cfg.RespondersFile})
	if err != nil {
		return nil, err
	}
	var services []hosting.Service
	for _, svc := range built {
		if slices.Contains(names, svc.Name) {
			services = append(services, svc)
		}
	}
	trail := audit.NewTrail()
	if err := trail.Register(bus); err != nil {
		return nil, err
	}
	if err := runBus(ctx, bus, hooks); err != nil {
		return nil, err
	}
	rt := &runtime{localities: localities, store: store, node: node, bus: bus, services: services, trail: trail}
	if node != nil {
		go rt.catchUpWithCluster(ctx, logger)
	}
	logger.Info("services running", zap.Strings("services", names))
	return rt, nil
}

// caughtUp is nil once the read models have caught up with the log, and,
// on a raft node, the log with the cluster as it was when the node
// started: a node restarted after a while must not answer from its old
// state, nor refuse commands the cluster's state allows.
func (rt *runtime) caughtUp() error {
	if rt.node != nil {
		pos := rt.clusterPosition.Load()
		if pos == 0 {
			return errors.New("catching up with the cluster")
		}
		if !rt.bus.HandledUpTo(eventstore.Position(pos - 1)) {
			return errors.New("the read models are catching up with the cluster")
		}
	}
	return rt.bus.CaughtUp()
}

// catchUpWithCluster waits until this node has applied everything the
// cluster had committed (a barrier through the leader), retrying while
// there is no leader, and records the log's end then.
func (rt *runtime) catchUpWithCluster(ctx context.Context, logger *zap.Logger) {
	for {
		bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := rt.node.LinearizableBarrier(bctx)
		var last []eventstore.RecordedEvent
		if err == nil {
			last, err = rt.store.ReadAll(bctx, eventstore.End, eventstore.Backwards, 1)
		}
		cancel()
		if err == nil {
			pos := uint64(0)
			if len(last) > 0 {
				pos = uint64(last[0].Position)
			}
			rt.clusterPosition.Store(pos + 1)
			logger.Info("caught up with the cluster", zap.Uint64("position", pos))
			return
		}
		logger.Warn("not yet caught up with the cluster; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// openStore opens the embedded store in DataDir/eventstore, or, with
// --raft, this node of a replicated cluster in DataDir/raft (node is then
// the raft store).
func openStore(ctx context.Context, cfg config.Config, logger *zap.Logger) (eventstore.Store, *raftstore.Store, error) {
	if !cfg.Raft.Enabled {
		store, err := embedded.Open(filepath.Join(cfg.DataDir, "eventstore"), embedded.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("open event store: %w", err)
		}
		return store, nil, nil
	}
	r := cfg.Raft
	node, err := raftstore.Open(ctx, raftstore.Config{
		NodeID: r.NodeID, BindAddr: r.Addr, AdvertiseAddr: r.Advertise,
		Dir: filepath.Join(cfg.DataDir, "raft"), Bootstrap: r.Bootstrap, Join: r.JoinAddrs(), NonVoter: r.NonVoter,
		TrailingLogs: r.TrailingLogs, SnapshotThreshold: r.SnapshotThreshold, SnapshotInterval: r.SnapshotInterval,
		Logger: logger.Named("raft"),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open raft node %s: %w", r.NodeID, err)
	}
	logger.Info("raft node open", zap.String("node_id", r.NodeID), zap.String("raft_addr", node.Addr()))
	return node, node, nil
}

// runBus runs the watermill router that carries events from the store to the
// services' handlers. Its stop hook drains the handlers in flight and writes
// their checkpoints before the store closes.
func runBus(ctx context.Context, bus *eventbus.Bus, hooks *shutdown.Hooks) error {
	running := make(chan error, 1)
	go func() { running <- bus.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-bus.Running():
	case err := <-running:
		return fmt.Errorf("event bus: %w", err)
	}
	hooks.Add("event handlers", func(context.Context) error {
		err := bus.Close()
		return errors.Join(err, <-running)
	})
	return nil
}

// serveHTTP binds the listener, announces it, and serves until ctx is done.
func serveHTTP(ctx context.Context, cfg config.Config, handler http.Handler, stdout io.Writer, logger *zap.Logger, hooks *shutdown.Hooks) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(logger.Named("http").WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	hooks.Add("http server", func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if err != nil {
			// Out of time: cut the remaining connections rather than let
			// them outlive the store.
			_ = srv.Close()
		}
		return err
	})

	// The first line is for programs (tests, scripts) that need the real
	// address, e.g. after --listen 127.0.0.1:0; keep its format stable.
	base := "http://" + dialable(ln.Addr())
	fmt.Fprintf(stdout, "carecoord listening on %s\n", base)
	fmt.Fprintf(stdout, "GraphQL: %s/graphql (each service's subgraph at %s/subgraphs/<service>/graphql)\n", base, base)
	if graphiql.Built() {
		fmt.Fprintf(stdout, "GraphiQL: open %s/graphql in a browser\n", base)
	} else {
		fmt.Fprintln(stdout, "GraphiQL: not in this build (make graphiql, then build again)")
	}
	// The command as it was invoked (./bin/carecoord after make run), so the
	// hint can be pasted as it is.
	keyFlag := "--data-dir " + cfg.DataDir
	if cfg.SigningKey != "" {
		keyFlag = "--signing-key " + cfg.SigningKey
	}
	fmt.Fprintf(stdout, "Get a token: %s token %s --role ict_clinician --locality leek --name \"Sam Example\"\n", os.Args[0], keyFlag)
	logger.Info("listening", zap.String("addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	}
}

// dialable is addr as a client can dial it: a wildcard listen address
// (0.0.0.0, ::) is reachable as localhost.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// storeReadable is ready when the store answers a read of the log's last
// event: cheap, and it fails once the store is closed or broken.
func storeReadable(store eventstore.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
		return err
	}
}

// federatedSchemas builds each hosted service's federated subgraph, by name.
func federatedSchemas(rt *runtime) (map[string]graphql.Schema, error) {
	feds := map[string]graphql.Schema{}
	for _, svc := range rt.services {
		fed, err := svc.Federated()
		if err != nil {
			return nil, fmt.Errorf("%s federated subgraph: %w", svc.Name, err)
		}
		feds[svc.Name] = fed
	}
	return feds, nil
}

// composeSupergraph composes the hosted services' federated subgraphs (in
// process: the request's context, and with it the viewer, reaches their
// resolvers) and the remote ones of cfg.Subgraphs (over HTTP, with the
// client's Authorization, X-Break-Glass-Reason and X-Correlation-ID
// headers, so that the remote process checks the same viewer) with the
// gateway's own fields.
//
// Composition reads every subgraph's SDL, so a remote subgraph must answer
// at start: while it does not (not yet started, still warming up), start-up
// retries with backoff for up to remoteWait, then fails with an error that
// names the subgraph and its URL.
func composeSupergraph(ctx context.Context, cfg config.Config, rt *runtime, feds map[string]graphql.Schema, info graphqlapi.ServerInfo, auditWriter *audit.Writer, logger *zap.Logger) (*supergraph.Supergraph, error) {
	var subs []supergraph.Subgraph
	for _, svc := range rt.services {
		subs = append(subs, supergraph.InProcess(svc.Name, feds[svc.Name]))
	}
	client := remoteClient()
	for _, r := range cfg.Subgraphs {
		sub := supergraph.Remote(r.Name, r.URL, client, remoteHeaders)
		if err := awaitRemote(ctx, sub, r.URL, logger); err != nil {
			return nil, err
		}
		logger.Info("remote subgraph answers", zap.String("subgraph", r.Name), zap.String("url", r.URL))
		subs = append(subs, sub)
	}
	deps := graphqlapi.Deps{
		Localities: rt.localities, ServerInfo: info, AuditTrail: rt.trail,
		Events: rt.store, WaitHandled: rt.bus.WaitHandled,
	}
	if auditWriter != nil {
		deps.Audit = func(e audit.Entry) { auditWriter.Write(e) }
	}
	if rt.node != nil {
		deps.Node = func() graphqlapi.NodeInfo {
			st := rt.node.Status()
			return graphqlapi.NodeInfo{ID: st.NodeID, State: st.State, LeaderID: st.LeaderID, AppliedIndex: st.AppliedIndex}
		}
	}
	sg, err := graphqlapi.Compose(ctx, deps, subs)
	if err != nil {
		return nil, fmt.Errorf("composing the GraphQL schema: %w", err)
	}
	return sg, nil
}

// remoteWait bounds how long start-up waits for a remote subgraph.
var remoteWait = 30 * time.Second

// awaitRemote asks sub for its SDL until it answers, backing off from
// 250ms to 4s between tries, for up to remoteWait. Transport failures and
// UNAVAILABLE (the remote process is still catching up) are retried; any
// other GraphQL error (the URL is a GraphQL endpoint but not a federated
// subgraph) fails at once.
func awaitRemote(ctx context.Context, sub supergraph.Subgraph, url string, logger *zap.Logger) error {
	deadline := time.Now().Add(remoteWait)
	backoff := 250 * time.Millisecond
	for {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, errs, err := sub.Do(tctx, "{ _service { sdl } }", nil)
		cancel()
		if err == nil && len(errs) > 0 {
			if errs[0].Extensions["code"] == "UNAVAILABLE" {
				// Another carecoord still warming up (503): retry.
				err = errs[0]
			}
		}
		if err == nil && len(errs) > 0 {
			return fmt.Errorf("remote subgraph %s at %s is not a federated subgraph (want a carecoord /subgraphs/%s/federated URL): %s",
				sub.Name(), url, sub.Name(), errs[0].Message)
		}
		if err == nil {
			return nil
		}
		if time.Now().Add(backoff).After(deadline) {
			return fmt.Errorf("remote subgraph %s at %s did not answer within %s: %w", sub.Name(), url, remoteWait, err)
		}
		logger.Warn("remote subgraph not answering yet; retrying", zap.String("subgraph", sub.Name()),
			zap.String("url", url), zap.Duration("retry_in", backoff), zap.Error(err))
		select {
		case <-ctx.Done():
			return fmt.Errorf("remote subgraph %s: %w", sub.Name(), ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 4*time.Second)
	}
}

// remoteClient is the HTTP client for remote subgraphs: bounded dials and
// waits, so that a stuck subgraph fails a request instead of holding it.
func remoteClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 25 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
		},
	}
}

// forwardedHeaders are the client's request headers a remote subgraph
// needs to see the same viewer.
var forwardedHeaders = []string{"Authorization", "X-Break-Glass-Reason"}

type forwardedKey struct{}

// forwardHeaders keeps the client's forwardedHeaders in the request
// context, for remoteHeaders.
func forwardHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := http.Header{}
		for _, k := range forwardedHeaders {
			if v := r.Header.Get(k); v != "" {
				h.Set(k, v)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardedKey{}, h)))
	})
}

// remoteHeaders are the headers sent with a request to a remote subgraph:
// the client's forwardedHeaders and the request's correlation ID.
func remoteHeaders(ctx context.Context) http.Header {
	out := http.Header{}
	if h, ok := ctx.Value(forwardedKey{}).(http.Header); ok {
		for k, vs := range h {
			out[k] = append([]string(nil), vs...)
		}
	}
	if id := logging.CorrelationID(ctx); id != "" {
		out.Set(server.CorrelationHeader, id)
	}
	return out
}

// tokenVerifier checks /graphql's bearer tokens: against the identity
// provider's key set when --jwks-url is set (refreshed until ctx ends),
// else with the development key in the data directory (`carecoord token`
// signs with it).
func tokenVerifier(ctx context.Context, cfg config.Config, logger *zap.Logger) (auth.Verifier, error) {
	o := cfg.OIDC
	if o.JWKSURL == "" {
		devKey, err := auth.LoadOrCreateDevKey(cfg.SigningKeyFile())
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		logger.Info("tokens: development key (set --jwks-url to verify an identity provider's tokens)")
		return devKey.Verifier(), nil
	}
	var roleMap map[string]auth.Role
	if len(o.RoleMap) > 0 {
		roleMap = make(map[string]auth.Role, len(o.RoleMap))
		for code, r := range o.RoleMap {
			roleMap[code] = auth.Role(r)
		}
	}
	v, err := auth.NewJWKSVerifier(ctx, auth.JWKSConfig{
		URL: o.JWKSURL, Issuer: o.Issuer, Audience: o.Audience,
		Claims: auth.ClaimNames{
			Subject: o.ClaimSubject, Name: o.ClaimName, Role: o.ClaimRole,
			Localities: o.ClaimLocalities, Organisation: o.ClaimOrganisation, RoleMap: roleMap,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("--jwks-url: %w", err)
	}
	logger.Info("tokens: identity provider's JWKS", zap.String("jwks_url", o.JWKSURL),
		zap.String("issuer", o.Issuer), zap.String("audience", o.Audience), zap.Int("mapped_role_codes", len(roleMap)))
	return v, nil
}

// wsAuthenticate is the graphql-transport-ws OnConnect: the viewer of the
// connection_init payload's authorization ("Bearer <token>"). Without one
// the connection has no viewer, and every field that needs one says
// UNAUTHENTICATED; a bad token closes the socket (4403).
func wsAuthenticate(v auth.Verifier) func(context.Context, map[string]any) (context.Context, error) {
	return func(ctx context.Context, payload map[string]any) (context.Context, error) {
		h, _ := payload["authorization"].(string)
		if h == "" {
			h, _ = payload["Authorization"].(string)
		}
		if h == "" {
			return ctx, nil
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, errors.New("use authorization: Bearer <token>")
		}
		viewer, err := v.Verify(ctx, strings.TrimSpace(token))
		if err != nil {
			return nil, err
		}
		return auth.WithViewer(ctx, viewer), nil
	}
}

// audited runs queries and mutations that came over WebSocket as /graphql's
// HTTP path runs them (audit.Middleware): each is an audit record of its
// own, written when it touched a patient or was a mutation.
func audited(execute func(graphql.ExecuteParams) *graphql.Result, w *audit.Writer) func(graphql.ExecuteParams) *graphql.Result {
	return func(p graphql.ExecuteParams) *graphql.Result {
		op := audit.Operation{Name: "/graphql", Kind: audit.Read, Endpoint: "/graphql (websocket)"}
		for _, d := range p.AST.Definitions {
			def, ok := d.(*ast.OperationDefinition)
			if !ok || (p.OperationName != "" && (def.Name == nil || def.Name.Value != p.OperationName)) {
				continue
			}
			if def.Name != nil && def.Name.Value != "" {
				op.Name = def.Name.Value
			}
			if def.Operation == ast.OperationTypeMutation {
				op.Kind = audit.Command
			}
			break
		}
		ctx, rec := audit.Begin(p.Context, op)
		p.Context = ctx
		res := execute(p)
		if v, ok := auth.From(ctx); ok && v.Subject != "" && rec.Due() {
			w.Write(rec.Entry(v, time.Now()))
		}
		return res
	}
}

// ConsistencyHeader asks for a linearizable read: "Read-Consistency:
// linearizable" makes the request wait until this node's read models show
// every write committed anywhere before it arrived (on a raft node, after a
// barrier through the leader). Reads are otherwise served from this node's
// read models as they stand, which may trail the cluster (or, on one node,
// the store) by a moment; a client reads its own writes either way.
const ConsistencyHeader = "Read-Consistency"

// linearizableWait bounds the wait; beyond it the request fails UNAVAILABLE.
const linearizableWait = 5 * time.Second

func (rt *runtime) linearizable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get(ConsistencyHeader), "linearizable") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), linearizableWait)
		defer cancel()
		if err := rt.upToDate(ctx); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"errors":[{"message":"could not catch up with the latest writes for a linearizable read: retry in a moment","extensions":{"code":"UNAVAILABLE"}}]}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// upToDate waits until the read models have handled every event committed
// before the call.
func (rt *runtime) upToDate(ctx context.Context) error {
	if rt.node != nil {
		if err := rt.node.LinearizableBarrier(ctx); err != nil {
			return err
		}
	}
	last, err := rt.store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
	if err != nil || len(last) == 0 {
		return err
	}
	return rt.bus.WaitHandled(ctx, last[0].Position)
}
