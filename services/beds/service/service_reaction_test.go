package service_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"

	"carecoord/services/beds/service"
)

// appendFallOutcome writes falls.FallOutcomeRecorded.v1 as the falls service
// would: the producer's JSON, straight into the store.
func appendFallOutcome(t *testing.T, s eventstore.Store, payload string) {
	t.Helper()
	incident := uuid.New()
	_, err := s.Append(context.Background(), "fallincident-"+incident.String(), eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: "falls.FallOutcomeRecorded.v1", Data: []byte(payload),
		Metadata: eventstore.Metadata{Actor: "u-responder", Locality: "leek", CorrelationID: "corr-fall-1", OccurredAt: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRaiseBedRequestOnFallOutcome_raises_one_urgent_step_up_request_however_often_delivered(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	p := people(1, "leek")[0]
	recordedAt := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)
	outcome := func(outcome string, nhs any) string {
		b, _ := json.Marshal(map[string]any{
			"incidentId": "2f0c7a8e-6a43-4b7e-9f54-2d1c9f1e7a10",
			"patient": map[string]any{"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED", "givenName": p.GivenName, "familyName": p.FamilyName,
				"dateOfBirth": p.DateOfBirth.Format(time.DateOnly), "postcode": p.Postcode.String(), "gpPractice": p.Practice},
			"locality": "leek", "outcome": outcome, "referTo": []string{}, "clinicalNeed": "Unable to weight-bear after fall; lives alone",
			"recordedAt": recordedAt, "recordedBy": "u-responder",
		})
		return string(b)
	}
	appendFallOutcome(t, store, outcome("STEP_UP_BED", p.NHSNumber.String()))
	appendFallOutcome(t, store, outcome("LIFTED_LEFT_AT_HOME", p.NHSNumber.String()))
	appendFallOutcome(t, store, outcome("STEP_UP_BED", nil)) // not yet identified: nothing to act on

	c, _ := newService(t, service.TestOptions{Store: store})
	var got map[string]any
	eventually(t, "the step-up request", func() bool {
		got = c.ok(bedManager, `{ bedRequests { id type source priority status clinicalNeed sourceRef raisedAt raisedBy localityId patient { nhsNumber } } }`, nil)
		return len(path(got, "bedRequests").([]any)) > 0
	})
	r := path(got, "bedRequests", 0)
	if str(r, "type") != "STEP_UP" || str(r, "source") != "FALLS" || str(r, "priority") != "URGENT" || str(r, "status") != "PENDING" ||
		str(r, "clinicalNeed") != "Unable to weight-bear after fall; lives alone" || str(r, "sourceRef") != "2f0c7a8e-6a43-4b7e-9f54-2d1c9f1e7a10" ||
		str(r, "raisedAt") != recordedAt || str(r, "raisedBy") != "system:beds.RaiseBedRequestOnFallOutcome" ||
		str(r, "localityId") != "leek" || str(r, "patient", "nhsNumber") != p.NHSNumber.String() {
		t.Fatalf("request %v", r)
	}
	raised := events(t, store, "beds.BedRequestRaised.v1")
	if len(raised) != 1 {
		t.Fatalf("%d requests raised, want 1", len(raised))
	}
	if raised[0].Metadata.CorrelationID != "corr-fall-1" || raised[0].Metadata.CausationID == "" {
		t.Fatalf("the request does not carry the fall's correlation: %+v", raised[0].Metadata)
	}

	// Redelivery: another instance with fresh checkpoints sees every fall
	// outcome again, and the request is not raised twice.
	for run := 0; run < 2; run++ {
		again, _ := newService(t, service.TestOptions{Store: store})
		d := again.ok(bedManager, `{ bedRequests { id } }`, nil)
		if n := len(path(d, "bedRequests").([]any)); n != 1 {
			t.Fatalf("run %d: %d requests on the board, want 1", run, n)
		}
	}
	if n := len(events(t, store, "beds.BedRequestRaised.v1")); n != 1 {
		t.Fatalf("%d requests raised after redelivery, want 1", n)
	}
}
