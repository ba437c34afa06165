package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// federatedSDL are the services' federated subgraph schemas as checked in
// (each service's graphql test keeps its file in step with the code).
var federatedSDL = map[string]string{
	"referrals": "../services/referrals/graphql/testdata/referrals.federated.graphql",
	"caseload":  "../services/caseload/graphql/testdata/caseload.federated.graphql",
	"beds":      "../services/beds/graphql/testdata/beds.federated.graphql",
	"falls":     "../services/falls/graphql/testdata/falls.federated.graphql",
}

// composition is what federation/compose.mjs prints.
type composition struct {
	OK     bool `json:"ok"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Hints []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"hints"`
	SupergraphSDL string `json:"supergraphSdl"`
}

// The four services' federated subgraphs compose, with Apollo's own
// composer, into a supergraph in which Locality and Patient carry every
// service's fields.
func TestFederation_subgraphs_compose_into_a_supergraph(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the composition check needs Node.js and npm (install Node 18 or later)", tool)
		}
	}
	dir, err := filepath.Abs("federation")
	if err != nil {
		t.Fatal(err)
	}
	checkLockfile(t, filepath.Join(dir, "package-lock.json"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@apollo", "composition", "package.json")); errors.Is(err, os.ErrNotExist) {
		npmRun(t, dir, 5*time.Minute, "ci", "--no-audit", "--no-fund")
	}

	args := []string{"compose.mjs"}
	for _, name := range []string{"referrals", "caseload", "beds", "falls"} {
		path, err := filepath.Abs(federatedSDL[name])
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, name+"="+path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res composition
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("node compose.mjs: %v; %v\nstdout: %s\nstderr: %s", runErr, err, stdout.String(), stderr.String())
	}
	for _, h := range res.Hints {
		t.Logf("hint %s: %s", h.Code, firstLineOf(h.Message))
	}
	if runErr != nil || !res.OK || len(res.Errors) > 0 {
		var msgs []string
		for _, e := range res.Errors {
			msgs = append(msgs, e.Code+": "+e.Message)
		}
		t.Fatalf("composition failed (%v):\n%s\n%s", runErr, strings.Join(msgs, "\n"), stderr.String())
	}

	graphs := map[string]string{"referrals": "REFERRALS", "caseload": "CASELOAD", "beds": "BEDS", "falls": "FALLS"}
	// A field each service adds to Locality and to Patient.
	localityField := map[string]string{"referrals": "referrals(", "caseload": "caseload(", "beds": "patientsInBeds:", "falls": "openFalls:"}
	patientField := map[string]string{"referrals": "referrals:", "caseload": "caseloadEpisodes:", "beds": "bedStays:", "falls": "falls:"}
	locality := typeBlock(t, res.SupergraphSDL, "Locality")
	patient := typeBlock(t, res.SupergraphSDL, "Patient")
	summary := typeBlock(t, res.SupergraphSDL, "LocalitySummary")
	for svc, graph := range graphs {
		for _, c := range []struct{ block, key, field string }{
			{locality, "id", localityField[svc]},
			{patient, "nhsNumber", patientField[svc]},
		} {
			if !strings.Contains(c.block, `@join__type(graph: `+graph+`, key: "`+c.key+`")`) {
				t.Errorf("%s is not an entity of %s in the supergraph", firstLineOf(c.block), svc)
			}
			if !fieldOf(c.block, c.field, graph) {
				t.Errorf("%s lacks %s's %s", firstLineOf(c.block), svc, strings.TrimRight(c.field, ":("))
			}
		}
		if !strings.Contains(summary, `@join__type(graph: `+graph+`, key: "localityId")`) {
			t.Errorf("LocalitySummary is not an entity of %s in the supergraph", svc)
		}
		// Each service's own timeline is hidden: the gateway merges them.
		if !strings.Contains(patient, svc+`Timeline: [TimelineEntry!]! @inaccessible @join__field(graph: `+graph+`)`) {
			t.Errorf("Patient.%sTimeline is not @inaccessible in the supergraph", svc)
		}
	}
	if t.Failed() {
		t.Logf("Locality:\n%s\nPatient:\n%s", locality, patient)
	}
}

// checkLockfile fails unless every package in package-lock.json is a
// registry package pinned by an integrity hash (no links, no git or file
// dependencies), so that npm ci fetches exactly what was reviewed from the
// registry npm is configured with.
func checkLockfile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
			Link      bool   `json:"link"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(lock.Packages) < 2 {
		t.Fatalf("%s lists no packages", path)
	}
	for name, p := range lock.Packages {
		if name == "" {
			continue
		}
		if p.Link || p.Version == "" || !strings.HasPrefix(p.Integrity, "sha512-") {
			t.Fatalf("%s: %s is not a registry package pinned by an integrity hash", path, name)
		}
	}
}

// npmRun runs npm in dir without install scripts, and fails the test if it
// fails.
func npmRun(t *testing.T, dir string, timeout time.Duration, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"npm_config_ignore_scripts=true",
		"npm_config_update_notifier=false",
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// typeBlock is a type's definition in SDL, from "type Name" to its closing
// brace.
func typeBlock(t *testing.T, sdl, name string) string {
	t.Helper()
	start := strings.Index(sdl, "\ntype "+name+"\n")
	if start < 0 {
		start = strings.Index(sdl, "\ntype "+name+" ")
	}
	if start < 0 {
		t.Fatalf("the supergraph has no type %s", name)
	}
	block := sdl[start+1:]
	if end := strings.Index(block, "\n}\n"); end >= 0 {
		block = block[:end+2]
	}
	return block
}

// fieldOf reports whether a type block has a field (given as "name:" or
// "name(") joined from graph.
func fieldOf(block, field, graph string) bool {
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, field) && strings.Contains(line, "@join__field(graph: "+graph+")") {
			return true
		}
	}
	return false
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
