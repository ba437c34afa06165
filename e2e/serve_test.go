package e2e

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeNHSNumber stands in for patient data in requests: it must never reach
// the log.
const fakeNHSNumber = "9434765919"

const serverInfoQuery = `{ serverInfo { version storeBackend } }`

func TestServe_lifecycle(t *testing.T) {
	dataDir := t.TempDir()
	p, base := serve(t, dataDir, nil)

	t.Run("announces the GraphQL endpoint for humans after the listening line", func(t *testing.T) {
		line := p.waitStdout(5*time.Second, func(l string) bool { return strings.HasPrefix(l, "GraphQL: ") })
		if !strings.HasPrefix(line, "GraphQL: "+base+"/graphql ") {
			t.Errorf("got %q", line)
		}
	})

	t.Run("healthz", func(t *testing.T) {
		status, body := httpGet(t, base+"/healthz")
		if status != http.StatusOK || strings.TrimSpace(body) != "ok" {
			t.Errorf("/healthz = %d %q, want 200 ok", status, body)
		}
	})

	t.Run("readyz becomes ready", func(t *testing.T) {
		waitReady(t, base, 10*time.Second)
		status, body := httpGet(t, base+"/readyz")
		var got struct{ Status string }
		if err := json.Unmarshal([]byte(body), &got); err != nil || status != 200 || got.Status != "ready" {
			t.Errorf("/readyz = %d %s", status, body)
		}
	})

	t.Run("serverInfo with each Accept", func(t *testing.T) {
		for accept, wantType := range map[string]string{
			"":                                  "application/json",
			"application/json":                  "application/json",
			"application/graphql-response+json": "application/graphql-response+json",
		} {
			res := graphql(t, base, accept, serverInfoQuery, map[string]any{"nhsNumber": fakeNHSNumber})
			if mt, _, _ := mime.ParseMediaType(res.ContentType); res.Status != 200 || mt != wantType {
				t.Errorf("Accept %q: %d %s, want 200 %s", accept, res.Status, res.ContentType, wantType)
			}
			if len(res.Errors) > 0 {
				t.Errorf("Accept %q: errors %+v", accept, res.Errors)
			}
			var data struct {
				ServerInfo struct{ Version, StoreBackend string }
			}
			if err := json.Unmarshal(res.Data, &data); err != nil {
				t.Fatalf("Accept %q: data %s: %v", accept, res.Data, err)
			}
			if data.ServerInfo.StoreBackend != "embedded" || data.ServerInfo.Version != testVersion {
				t.Errorf("Accept %q: serverInfo = %+v, want embedded %s", accept, data.ServerInfo, testVersion)
			}
			if res.Header.Get("X-Correlation-ID") == "" {
				t.Errorf("Accept %q: no X-Correlation-ID in the response", accept)
			}
		}
	})

	t.Run("GET runs queries", func(t *testing.T) {
		q := url.Values{"query": {serverInfoQuery}, "variables": {`{"nhsNumber":"` + fakeNHSNumber + `"}`}}
		req, _ := http.NewRequest(http.MethodGet, base+"/graphql?"+q.Encode(), nil)
		res := doGraphQL(t, req)
		if res.Status != 200 || !strings.Contains(string(res.Data), `"storeBackend":"embedded"`) {
			t.Errorf("GET: %d %s %+v", res.Status, res.Data, res.Errors)
		}
	})

	t.Run("malformed query gets a GraphQL error", func(t *testing.T) {
		for accept, wantStatus := range map[string]int{
			"application/json":                  http.StatusOK,
			"application/graphql-response+json": http.StatusBadRequest,
		} {
			res := graphql(t, base, accept, `{ serverInfo { version `, nil)
			if res.Status != wantStatus || len(res.Errors) == 0 || res.Errors[0].Message == "" {
				t.Errorf("Accept %q: %d %+v, want %d with an error", accept, res.Status, res.Errors, wantStatus)
			}
			if string(res.Data) != "" && string(res.Data) != "null" {
				t.Errorf("Accept %q: data %s for a query that cannot run", accept, res.Data)
			}
		}
	})

	t.Run("correlation ID is echoed and logged", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
		req.Header.Set("X-Correlation-ID", "e2e-trace-1")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Correlation-ID"); got != "e2e-trace-1" {
			t.Errorf("echoed %q", got)
		}
		e := p.waitLog(5*time.Second, func(e logEntry) bool { return e.str("correlation_id") == "e2e-trace-1" })
		if e.msg() != "http request" || e.str("path") != "/healthz" || e["status"] != float64(200) {
			t.Errorf("request log line = %v", e)
		}
	})

	t.Run("SIGTERM shuts down cleanly", func(t *testing.T) {
		if code := p.stop(10 * time.Second); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		var stopped []string
		for _, e := range p.logEntries() {
			if e.msg() == "stopped" {
				stopped = append(stopped, e.str("component"))
			}
		}
		if len(stopped) == 0 || stopped[len(stopped)-1] != "eventstore" || stopped[0] != "http server" {
			t.Errorf("components stopped: %v; want the HTTP server first and the event store last", stopped)
		}
	})

	t.Run("logs hold no request data", func(t *testing.T) {
		log := p.stderr.String()
		for _, leak := range []string{fakeNHSNumber, "serverInfo"} {
			if strings.Contains(log, leak) {
				t.Errorf("log contains %q", leak)
			}
		}
	})

	t.Run("restarts on the same data directory", func(t *testing.T) {
		p2, base2 := serve(t, dataDir, nil)
		waitReady(t, base2, 10*time.Second)
		if res := graphql(t, base2, "", serverInfoQuery, nil); res.Status != 200 || len(res.Errors) > 0 {
			t.Errorf("after restart: %d %+v", res.Status, res.Errors)
		}
		if code := p2.stop(10 * time.Second); code != 0 {
			t.Errorf("second run exit status %d, want 0", code)
		}
	})
}

func TestServe_settings_from_the_environment(t *testing.T) {
	dataDir := t.TempDir()
	p := start(t, []string{"CARECOORD_DATA_DIR=" + dataDir, "CARECOORD_LISTEN=127.0.0.1:0", "CARECOORD_LOG_LEVEL=warn"}, "serve")
	line := p.waitStdout(30*time.Second, func(string) bool { return true })
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q", line)
	}
	waitReady(t, m[1], 10*time.Second)
	if code := p.stop(10 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	// At warn, a clean run logs nothing.
	if entries := p.logEntries(); len(entries) != 0 {
		t.Errorf("logged at warn level: %v", entries)
	}
}

func TestServe_bad_environment_exits_2(t *testing.T) {
	code, stdout, stderr := run(t, []string{"CARECOORD_LOG_LEVEL=loud", "CARECOORD_DATA_DIR=" + t.TempDir()}, "serve")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "CARECOORD_LOG_LEVEL") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and an error naming CARECOORD_LOG_LEVEL", code, stdout, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := run(t, nil, "version")
	if code != 0 || stdout != testVersion+"\n" || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, testVersion)
	}
}

func TestUnknown_command_prints_usage_and_exits_2(t *testing.T) {
	code, stdout, stderr := run(t, nil, "frobnicate")
	if code != 2 || stdout != "" || !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "Usage:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
