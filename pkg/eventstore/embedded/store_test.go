package embedded_test

import (
	"time"

	"testing"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/eventstore/storetest"
)

func mustOpen(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) eventstore.Store { return mustOpen(t, t.TempDir()) },
		Reopen: func(t *testing.T, s eventstore.Store) eventstore.Store {
			dir := s.(*embedded.Store).Dir()
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			return mustOpen(t, dir)
		},
	})
}

func fixedTime() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
