package service_test

import (
	"context"
	"strings"
	"testing"

	"carecoord/pkg/eventstore"
)

// dumpStay logs every event that mentions needle (a stay ID) or belongs to
// the bed's stream, with its command ID: what a failing concurrency test
// needs to be diagnosed from its output alone. Synthetic data only.
func dumpStay(t *testing.T, s eventstore.Store, needle string, bed string) {
	evs, _ := s.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	for _, e := range evs {
		if strings.Contains(string(e.Data), needle) || (bed != "" && e.Stream == "bed-"+bed) {
			t.Logf("%d %s %s %v %.200s", e.Position, e.Stream, e.Type, e.Metadata.Extra, string(e.Data))
		}
	}
}
