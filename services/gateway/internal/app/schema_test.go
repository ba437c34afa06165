package app

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"carecoord/services/gateway/internal/graphqlapi"
	"carecoord/services/gateway/internal/shutdown"
)

var update = flag.Bool("update", false, "rewrite schemas/graphql/carecoord.graphql from the code")

// schemaFile is the composed public schema, checked in for clients and
// reviewers.
var schemaFile = filepath.Join("..", "..", "..", "..", "schemas", "graphql", "carecoord.graphql")

// TestComposedSchemaFile fails when schemas/graphql/carecoord.graphql and
// the schema the gateway composes differ. Refresh the file with
// `go test ./services/gateway/internal/app -run TestComposedSchemaFile -update`.
func TestComposedSchemaFile(t *testing.T) {
	var hooks shutdown.Hooks
	t.Cleanup(func() { _ = hooks.Run(context.Background(), zap.NewNop()) })
	cfg := testConfig(t)
	rt, err := openRuntime(context.Background(), cfg, zap.NewNop(), &hooks)
	if err != nil {
		t.Fatal(err)
	}
	feds, err := federatedSchemas(rt)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := composeSupergraph(context.Background(), cfg, rt, feds, graphqlapi.ServerInfo{}, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	got := "# The composed public schema of carecoord's /graphql (generated: see\n" +
		"# services/gateway/internal/app/schema_test.go; do not edit).\n\n" + sg.SDL()
	if *update {
		if err := os.WriteFile(schemaFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the composed schema: run `go test ./services/gateway/internal/app -run TestComposedSchemaFile -update` and review the diff", schemaFile)
	}
}
