package hosting

import (
	"slices"
	"testing"

	"carecoord/services/gateway/internal/config"
)

// config validates --subgraph names against its own copy of the list.
func TestNames_match_config(t *testing.T) {
	if !slices.Equal(Names, config.ServiceNames) {
		t.Fatalf("hosting.Names %v, config.ServiceNames %v", Names, config.ServiceNames)
	}
}
