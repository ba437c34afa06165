package app

import (
	"context"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/services/gateway/internal/config"
	"carecoord/services/gateway/internal/graphqlapi"
	"carecoord/services/gateway/internal/shutdown"
)

const benchLocalityView = `query LocalityView($id: ID!) { locality(id: $id) { name summary { referralsReceived ucrSeenWithin2hPercent caseloadSize caseloadVisitsOverdue bedsOccupied openFalls } referrals { id status priority receivedAt } keyworkerCaseload { keyworker { id name } episodes visitsDueToday visitsOverdue reviewsOverdue } patientsInBeds { id hospitalId bedId } openFalls { id status timeOnFloorMinutes } } }`

// BenchmarkLocalityView executes the locality view through the supergraph
// composed over the four in-process subgraphs, on a seeded store.
func BenchmarkLocalityView(b *testing.B) {
	ctx := context.Background()
	cfg := config0(b)
	if err := Seed(ctx, cfg, discard{}, zap.NewNop()); err != nil {
		b.Fatal(err)
	}
	var hooks shutdown.Hooks
	b.Cleanup(func() { _ = hooks.Run(context.Background(), zap.NewNop()) })
	rt, err := openRuntime(ctx, cfg, zap.NewNop(), &hooks)
	if err != nil {
		b.Fatal(err)
	}
	if err := rt.settle(ctx, time.Minute); err != nil {
		b.Fatal(err)
	}
	feds, err := federatedSchemas(rt)
	if err != nil {
		b.Fatal(err)
	}
	sg, err := composeSupergraph(ctx, cfg, rt, feds, graphqlapi.ServerInfo{}, nil, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	vctx := auth.WithViewer(ctx, auth.Viewer{Subject: "bench", Name: "bench", Role: auth.ICTClinician, Localities: []string{"leek"}})
	params := graphql.Params{Context: vctx, RequestString: benchLocalityView, OperationName: "LocalityView", VariableValues: map[string]any{"id": "leek"}}
	res := sg.Do(params)
	if len(res.Errors) > 0 || res.Data == nil {
		b.Fatalf("errors: %v", res.Errors)
	}
	// As pkg/graphqlhttp does (its document cache): parse and validate the
	// client's document once, execute it per request.
	doc, err := parser.Parse(parser.ParseParams{Source: &source.Source{Body: []byte(benchLocalityView)}})
	if err != nil {
		b.Fatal(err)
	}
	schema := sg.Schema()
	if vr := graphql.ValidateDocument(&schema, doc, nil); !vr.IsValid {
		b.Fatal(vr.Errors)
	}
	exec := graphql.ExecuteParams{Context: vctx, AST: doc, OperationName: "LocalityView", Args: map[string]any{"id": "leek"}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := sg.Execute(exec); len(res.Errors) > 0 {
				b.Fatal(res.Errors)
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func config0(b *testing.B) config.Config {
	return config.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0", LogLevel: "info", ShutdownTimeout: 5 * time.Second}
}
