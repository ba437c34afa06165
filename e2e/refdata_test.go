package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Reference data is replaceable by configuration: a deployment's own list of
// localities replaces the built-in demo list, and a broken file stops start-up.
func TestServe_localities_from_a_file_replace_the_demo_list(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "localities.json")
	doc := `{"localities":[
		{"id":"leek","name":"Leek","practices":[{"code":"M83001","name":"Leek Health Centre","postcodeArea":"ST13"}]},
		{"id":"biddulph","name":"Biddulph","practices":[{"code":"M83002","name":"Biddulph Surgery","postcodeArea":"ST8"}]}]}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	// The demo hospitals and responder units belong to demo localities, so this
	// deployment hosts the ICT services only.
	env := []string{"CARECOORD_LOCALITIES_FILE=" + file, "CARECOORD_SERVICES=referrals,caseload"}
	_, base := serve(t, dir, env)
	waitReady(t, base, 30*time.Second)
	code, out, errOut := run(t, env, "token", "--data-dir", dir, "--role", "admin", "--name", "Ada Admin")
	if code != 0 {
		t.Fatalf("token: %s", errOut)
	}
	res := graphqlAs(t, base, strings.TrimSpace(out), `{ me { localities } }`)
	var data struct{ Me struct{ Localities []string } }
	if err := json.Unmarshal(res.Data, &data); err != nil || strings.Join(data.Me.Localities, ",") != "biddulph,leek" {
		t.Fatalf("an admin reaches %v (%s %+v), want the file's two localities", data.Me.Localities, res.Data, res.Errors)
	}
	if code, _, _ := run(t, env, "token", "--data-dir", dir, "--role", "ict_clinician", "--locality", "tamworth"); code != 2 {
		t.Fatalf("a token for a locality not in the file: exit %d, want 2", code)
	}

	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"localities":[{"id":"x","name":"X","practices":[{"code":"not-ods"}]}]}`), 0o600)
	p := start(t, []string{"CARECOORD_LOCALITIES_FILE=" + bad}, "serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	if code := p.wait(20 * time.Second); code != 1 {
		t.Fatalf("serve with a broken localities file exited %d, want 1", code)
	}
}

// graphqlAs POSTs a query to /graphql with a bearer token.
func graphqlAs(t testing.TB, base, token, query string) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return doGraphQL(t, req)
}
