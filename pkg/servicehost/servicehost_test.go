package servicehost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/google/uuid"
	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/gql"
	"carecoord/pkg/servicehost"
	"carecoord/pkg/servicehost/servicehosttest"
)

// noted is the fake service's one event.
type noted struct {
	Text string `json:"text"`
}

func (noted) EventType() string { return "notes.Noted.v1" }

// notes is a tiny service: a mutation that appends a note, a read model
// that counts them, the viewer, and a greeting from a flag of its own.
type notes struct {
	count      atomic.Int64
	seedViewer atomic.Value // string: who the seed ran as
	gate       chan struct{}
	noSeed     bool
	badSchema  bool
}

func (n *notes) command() servicehost.Command {
	return servicehost.Command{Name: "notes", Listen: "127.0.0.1:0", Setup: n.setup}
}

func (n *notes) setup(fs *flag.FlagSet) servicehost.Build {
	greeting := fs.String("greeting", "hello", "what the greeting field says")
	return func(d servicehost.Deps) (servicehost.Built, error) {
		if d.DataDir == "" || d.Localities == nil || d.Logger == nil {
			return servicehost.Built{}, errors.New("incomplete deps")
		}
		err := d.Bus.AddProjection("notes.Count", cqrs.NewGroupEventHandler(func(ctx context.Context, _ *noted) error {
			if n.gate != nil {
				select {
				case <-n.gate:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			n.count.Add(1)
			return nil
		}))
		if err != nil {
			return servicehost.Built{}, err
		}
		built := servicehost.Built{Schema: func() (graphql.Schema, error) { return n.schema(d.Store, *greeting) }}
		if !n.noSeed {
			built.Seed = func(ctx context.Context) error {
				v, _ := auth.From(ctx)
				n.seedViewer.Store(v.Subject)
				// A fixed ID: seeding again writes nothing.
				return appendNote(ctx, d.Store, uuid.NewSHA1(uuid.NameSpaceOID, []byte("seed")), "seeded")
			}
		}
		return built, nil
	}
}

func appendNote(ctx context.Context, store eventstore.Store, id uuid.UUID, text string) error {
	data, _ := json.Marshal(noted{Text: text})
	_, err := store.Append(ctx, "note-"+id.String(), eventstore.NoStream, eventstore.EventData{ID: id, Type: noted{}.EventType(), Data: data})
	return err
}

func (n *notes) schema(store eventstore.Store, greeting string) (graphql.Schema, error) {
	if n.badSchema {
		return graphql.Schema{}, errors.New("no query type")
	}
	return graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"me": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				if v, ok := auth.From(p.Context); ok {
					return v.Subject, nil
				}
				return nil, nil
			}},
			"notes":    &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return n.count.Load(), nil }},
			"greeting": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return greeting, nil }},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"note": &graphql.Field{
				Type: graphql.Boolean,
				Args: graphql.FieldConfigArgument{"text": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					if _, err := auth.Require(p.Context); err != nil {
						return nil, gql.Error(err)
					}
					return true, appendNote(p.Context, store, uuid.New(), p.Args["text"].(string))
				},
			},
		}}),
	})
}

// waitNotes waits until the read model counts want notes.
func waitNotes(t *testing.T, p *servicehosttest.Process, token string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := p.Query(t, token, `{ notes }`, nil).Get("notes")
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notes = %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestRun_serves_the_subgraph_behind_dev_tokens_seeds_and_stops_on_cancel(t *testing.T) {
	dir := t.TempDir()
	svc := &notes{}
	p := servicehosttest.Start(t, svc.command(), dir, "--seed", "--greeting", "hej")
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") || strings.HasSuffix(p.URL, ":0") {
		t.Fatalf("announced %q", p.URL)
	}
	p.WaitReady(t)
	if got := svc.seedViewer.Load(); got != "system:seed" {
		t.Fatalf("seeded as %v", got)
	}
	token := p.Token(t, auth.Viewer{Subject: "u-1", Name: "Sam Example", Role: auth.Admin})

	if res := p.Query(t, token, `{ me greeting }`, nil); res.Status != http.StatusOK || res.Get("me") != "u-1" || res.Get("greeting") != "hej" {
		t.Fatalf("signed in: %+v", res)
	}
	if res := p.Query(t, "", `{ me }`, nil); res.Errors != nil || res.Get("me") != nil {
		t.Fatalf("anonymous: %+v", res)
	}
	if res := p.Query(t, "", `mutation { note(text: "x") }`, nil); res.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous mutation: %+v", res)
	}
	if res := p.Query(t, "not-a-token", `{ me }`, nil); res.Status != http.StatusUnauthorized || res.Code() != "UNAUTHENTICATED" {
		t.Fatalf("bad token: %+v", res)
	}
	waitNotes(t, p, token, 1)
	if res := p.Query(t, token, `mutation($t: String!) { note(text: $t) }`, map[string]any{"t": "second"}); res.Errors != nil {
		t.Fatalf("mutation: %+v", res)
	}
	waitNotes(t, p, token, 2)

	// /graphql is pkg/graphqlhttp: GET for queries, media type negotiation.
	res, body := get(t, p.URL+"/graphql?query="+url.QueryEscape(`{ me }`), http.Header{
		"Authorization": {"Bearer " + token}, "Accept": {"application/graphql-response+json"}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/graphql-response+json") || !strings.Contains(body, `"u-1"`) {
		t.Fatalf("GET: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res.Header.Get("X-Correlation-ID") == "" {
		t.Fatal("no correlation ID")
	}
	if res, _ := get(t, p.URL+"/healthz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// Everything was closed: the same data opens again, the read model is
	// rebuilt from the log, and seeding again writes nothing new.
	svc = &notes{}
	p = servicehosttest.Start(t, svc.command(), dir, "--seed")
	p.WaitReady(t)
	if got := p.Query(t, token, `{ notes greeting }`, nil); got.Get("notes") != 2.0 || got.Get("greeting") != "hello" {
		t.Fatalf("after a restart: %+v", got)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestRun_readyz_waits_for_the_consumers_to_catch_up_while_healthz_answers(t *testing.T) {
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "eventstore"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := appendNote(context.Background(), store, uuid.New(), "before start"); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	svc := &notes{gate: make(chan struct{})}
	p := servicehosttest.Start(t, svc.command(), dir)
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(svc.gate) }) })

	if res, body := get(t, p.URL+"/readyz", nil); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "notes.Count") {
		t.Fatalf("readyz while catching up: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, p.URL+"/healthz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	release.Do(func() { close(svc.gate) })
	p.WaitReady(t)
	if got := p.Query(t, "", `{ notes }`, nil).Get("notes"); got != 1.0 {
		t.Fatalf("notes = %v", got)
	}
	if code := p.Stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestRun_exit_status_of_bad_arguments_and_failed_start_up(t *testing.T) {
	for _, tc := range []struct {
		name string
		svc  *notes
		args []string
		want int
	}{
		{"help", &notes{}, []string{"-h"}, 0},
		{"unknown flag", &notes{}, []string{"--nope"}, 2},
		{"bad log level", &notes{}, []string{"--log-level", "loud"}, 2},
		{"stray argument", &notes{}, []string{"serve"}, 2},
		{"seed without demo data", &notes{noSeed: true}, []string{"--seed"}, 1},
		{"schema that does not build", &notes{badSchema: true}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, tc.args...)
			if got := tc.svc.command().Run(context.Background(), args, &stdout, &stderr); got != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", got, tc.want, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Fatalf("it listened: %s", stdout.String())
			}
		})
	}
}
