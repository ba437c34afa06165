package kurrentdb

import (
	"context"
	"os"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/storetest"
)

// TestConformance runs the event store conformance suite against the
// KurrentDB server named by CARECOORD_TEST_KURRENTDB.
func TestConformance(t *testing.T) {
	cs := os.Getenv("CARECOORD_TEST_KURRENTDB")
	if cs == "" {
		t.Skip("set CARECOORD_TEST_KURRENTDB=esdb://localhost:2113?tls=false to run the conformance suite against a KurrentDB server; deploy/kurrentdb/compose.yaml starts a three-node cluster")
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) eventstore.Store {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := Open(ctx, cs)
			if err != nil {
				t.Fatalf("open %s: %v", cs, err)
			}
			return s
		},
		// A server is not reopened by its clients.
		Reopen: nil,
	})
}
