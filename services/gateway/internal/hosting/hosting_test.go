package hosting_test

import (
	"strings"
	"testing"

	"carecoord/services/gateway/internal/hosting"
)

func TestParse_keeps_start_order_and_rejects_unknown_services(t *testing.T) {
	got, err := hosting.Parse("falls, referrals")
	if err != nil || strings.Join(got, ",") != "referrals,falls" {
		t.Fatalf("got %v, %v; want referrals before falls", got, err)
	}
	all, err := hosting.Parse("all")
	if err != nil || len(all) != len(hosting.Names) {
		t.Fatalf("all: %v, %v", all, err)
	}
	if _, err := hosting.Parse("referrals,pharmacy"); err == nil || !strings.Contains(err.Error(), "pharmacy") {
		t.Fatalf("unknown service: %v", err)
	}
}
