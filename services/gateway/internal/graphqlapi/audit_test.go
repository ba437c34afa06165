package graphqlapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
)

type fakeTrail map[string][]audit.Entry

func (f fakeTrail) For(n string) []audit.Entry { return f[n] }

const auditQuery = `query Trail($n: String!) { auditTrail(nhsNumber: $n) { userId userName role organisation operation kind at breakGlass breakGlassReason } }`

func TestAuditTrail_shows_an_admin_who_read_the_record(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	schema, err := NewSchema(Deps{AuditTrail: fakeTrail{"9434765919": {
		{Subject: "u2", Role: "ict_clinician", Operation: "PatientReferrals", Kind: audit.Read, At: at.Add(time.Minute), BreakGlass: true, BreakGlassReason: "collapsed"},
		{Subject: "u1", Name: "Sam Example", Role: "ict_clinician", Organisation: "MPFT", Operation: "PatientReferrals", Kind: audit.Read, At: at},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, rec := audit.Begin(auth.WithViewer(context.Background(), auth.Viewer{Subject: "a1", Role: auth.Admin}), audit.Operation{Name: "Trail", Kind: audit.Read})
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: auditQuery, VariableValues: map[string]any{"n": "943 476 5919"}, Context: ctx})
	if res.HasErrors() {
		t.Fatalf("errors: %v", res.Errors)
	}
	got, _ := json.Marshal(res.Data)
	want := `{"auditTrail":[` +
		`{"at":"2026-11-23T09:31:00Z","breakGlass":true,"breakGlassReason":"collapsed","kind":"READ","operation":"PatientReferrals","organisation":null,"role":"ict_clinician","userId":"u2","userName":null},` +
		`{"at":"2026-11-23T09:30:00Z","breakGlass":false,"breakGlassReason":null,"kind":"READ","operation":"PatientReferrals","organisation":"MPFT","role":"ict_clinician","userId":"u1","userName":"Sam Example"}]}`
	if string(got) != want {
		t.Errorf("data = %s\nwant   %s", got, want)
	}
	if touched := rec.Touched(); len(touched) != 1 || touched[0] != "9434765919" {
		t.Errorf("asking for the trail touched %v: it is itself a look at the record", touched)
	}
}

func TestAuditTrail_is_for_admins_only(t *testing.T) {
	schema, err := NewSchema(Deps{AuditTrail: fakeTrail{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ctx  context.Context
		n    string
		code string
	}{
		{auth.WithViewer(context.Background(), auth.Viewer{Subject: "u1", Role: auth.ICTClinician, Localities: []string{"leek"}}), "9434765919", "FORBIDDEN"},
		{auth.WithViewer(context.Background(), auth.Viewer{Subject: "u1", Role: auth.BedManager, BreakGlassReason: "please"}), "9434765919", "FORBIDDEN"},
		{context.Background(), "9434765919", "UNAUTHENTICATED"},
		{auth.WithViewer(context.Background(), auth.Viewer{Subject: "a1", Role: auth.Admin}), "9434765918", "BAD_USER_INPUT"},
	} {
		res := graphql.Do(graphql.Params{Schema: schema, RequestString: auditQuery, VariableValues: map[string]any{"n": tc.n}, Context: tc.ctx})
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != tc.code {
			t.Errorf("%s: errors %+v, want %s", tc.n, res.Errors, tc.code)
		}
	}
}
