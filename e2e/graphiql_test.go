package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// graphiqlAssets is how scripts/graphiql-assets.sh went, run while the
// package initialises, before TestMain builds the binary, so that the
// binary embeds GraphiQL's files as make build's does. It is a no-op when
// they are up to date (make test and make e2e have just run it).
var graphiqlAssets = installGraphiQLAssets()

type assetsRun struct {
	skip string // why the files could not be installed here
	err  error
	out  string
}

func installGraphiQLAssets() assetsRun {
	for _, tool := range []string{"node", "npm", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			return assetsRun{skip: tool + " is not on PATH: GraphiQL's files come from npm packages (install Node 18 or later)"}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "graphiql-assets.sh"), "--require").CombinedOutput()
	return assetsRun{err: err, out: string(out)}
}

// browserAccept is what Chromium sends when it navigates to a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

// attrRef is an address in an attribute that loads something, quoted
// either way or not at all.
var attrRef = regexp.MustCompile(`(?i)\b(src|href|srcset|action|data|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)

// cssURL is an address in a style sheet.
var cssURL = regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)|@import\s+['"]([^'"]*)`)

// A browser asking for /graphql gets GraphiQL, and everything the page loads
// comes from carecoord itself: no address in the page or its style sheets
// names another host, and every file it names is served, with its type.
func TestGraphiQL_page_is_served_whole_by_carecoord(t *testing.T) {
	if graphiqlAssets.skip != "" {
		t.Skip(graphiqlAssets.skip)
	}
	if graphiqlAssets.err != nil {
		t.Fatalf("scripts/graphiql-assets.sh: %v\n%s", graphiqlAssets.err, graphiqlAssets.out)
	}
	checkLockfile(t, filepath.Join("..", "web", "graphiql", "package-lock.json"))

	dataDir := t.TempDir()
	p, base := serve(t, dataDir, nil)
	line := p.waitStdout(5*time.Second, func(l string) bool { return strings.HasPrefix(l, "GraphiQL: ") })
	if want := "GraphiQL: open " + base + "/graphql in a browser"; line != want {
		t.Errorf("start-up says %q, want %q", line, want)
	}
	waitReady(t, base, 30*time.Second)

	pageURL, err := url.Parse(base + "/graphql")
	if err != nil {
		t.Fatal(err)
	}
	res, page := fetch(t, pageURL.String(), browserAccept)
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); res.StatusCode != http.StatusOK || mt != "text/html" {
		t.Fatalf("GET /graphql as a browser = %d %s:\n%s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	if !strings.Contains(string(page), "carecoord-graphiql-config") {
		t.Errorf("the page has no GraphiQL config:\n%s", page)
	}

	wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}
	seen := map[string]bool{}
	var check func(from *url.URL, ref string)
	check = func(from *url.URL, ref string) {
		ref = strings.TrimSpace(ref)
		if ref == "" || strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") {
			return
		}
		u, err := from.Parse(ref)
		if err != nil {
			t.Errorf("%s refers to %q: %v", from, ref, err)
			return
		}
		if u.Scheme != pageURL.Scheme || u.Host != pageURL.Host {
			t.Errorf("%s refers to %q, on another host: the page must work with no internet connection", from, ref)
			return
		}
		if seen[u.String()] {
			return
		}
		seen[u.String()] = true
		res, body := fetch(t, u.String(), "*/*")
		ext := filepath.Ext(u.Path)
		mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if res.StatusCode != http.StatusOK || mt != wantType[ext] {
			t.Errorf("GET %s = %d %s, want 200 %s", u.Path, res.StatusCode, res.Header.Get("Content-Type"), wantType[ext])
			return
		}
		// carecoord's own script and style sheet are short; React's is
		// the shortest of the npm files, at some 10 kB.
		minSize := 10_000
		if strings.HasPrefix(filepath.Base(u.Path), "carecoord-") {
			minSize = 100
		}
		if len(body) < minSize {
			t.Errorf("GET %s: %d bytes, too few for the real file", u.Path, len(body))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a year: its address names its content", u.Path, cc)
		}
		if ext == ".css" {
			for _, m := range cssURL.FindAllStringSubmatch(string(body), -1) {
				check(u, m[1]+m[2])
			}
		}
	}
	for _, m := range attrRef.FindAllStringSubmatch(string(page), -1) {
		check(pageURL, m[2]+m[3]+m[4])
	}
	for _, name := range []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css", "carecoord-graphiql.js", "carecoord-graphiql.css"} {
		found := false
		for u := range seen {
			found = found || strings.HasSuffix(u, "/"+name)
		}
		if !found {
			t.Errorf("the page does not load %s (it loads %v)", name, keysOf(seen))
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("Content-Security-Policy = %q, want scripts from carecoord only", csp)
	}
}

// The page's default query and headers work as they are once a token is
// pasted in, and every request that is not a browser's asking for the page
// is GraphQL's, as before the page.
func TestGraphiQL_leaves_GraphQL_requests_alone(t *testing.T) {
	if graphiqlAssets.skip != "" {
		t.Skip(graphiqlAssets.skip)
	}
	dataDir := t.TempDir()
	_, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)

	t.Run("the default query runs with a pasted token", func(t *testing.T) {
		_, page := fetch(t, base+"/graphql", browserAccept)
		m := regexp.MustCompile(`(?s)<script type="application/json" id="carecoord-graphiql-config">(.*?)</script>`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("no config in the page:\n%s", page)
		}
		var cfg struct{ DefaultQuery, DefaultHeaders, TokenPlaceholder string }
		if err := json.Unmarshal(m[1], &cfg); err != nil {
			t.Fatal(err)
		}
		token := issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example")
		var headers map[string]string
		if err := json.Unmarshal([]byte(strings.Replace(cfg.DefaultHeaders, cfg.TokenPlaceholder, token, 1)), &headers); err != nil {
			t.Fatalf("default headers %q: %v", cfg.DefaultHeaders, err)
		}
		res := graphqlAs(t, base, strings.TrimPrefix(headers["Authorization"], "Bearer "), cfg.DefaultQuery)
		if res.Status != 200 || len(res.Errors) > 0 {
			t.Fatalf("default query: %d %+v", res.Status, res.Errors)
		}
		var data struct {
			Me         struct{ Name, Role string }
			Localities []struct{ ID, Name string }
		}
		if err := json.Unmarshal(res.Data, &data); err != nil || data.Me.Name != "Sam Example" || len(data.Localities) != 1 || data.Localities[0].ID != "leek" {
			t.Errorf("default query data = %s (%v)", res.Data, err)
		}
	})

	query := url.QueryEscape(serverInfoQuery)
	for _, c := range []struct {
		name, target, accept string
		wantType             string
		wantData             bool
	}{
		{"a query from a browser's address bar", "/graphql?query=" + query, browserAccept, "application/json", true},
		{"a query asking for JSON", "/graphql?query=" + query, "application/json", "application/json", true},
		{"a query asking for any type", "/graphql?query=" + query, "*/*", "application/json", true},
		{"no query, asking for JSON", "/graphql", "application/json", "application/json", false},
		{"no query, no Accept", "/graphql", "", "application/json", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := fetch(t, base+c.target, c.accept)
			mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
			if mt != c.wantType {
				t.Fatalf("%d %s, want %s:\n%s", res.StatusCode, res.Header.Get("Content-Type"), c.wantType, body)
			}
			var got struct {
				Data   json.RawMessage `json:"data"`
				Errors []any           `json:"errors"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if hasData := len(got.Data) > 0 && string(got.Data) != "null"; hasData != c.wantData || c.wantData && len(got.Errors) > 0 {
				t.Errorf("%d %s", res.StatusCode, body)
			}
		})
	}
}

// browserStep is a line that e2e/browser/graphiql.mjs prints.
type browserStep struct {
	Step           string          `json:"step"`
	Result         json.RawMessage `json:"result"`
	ConnectionInit map[string]any  `json:"connectionInit"`
	OffOrigin      []string        `json:"offOrigin"`
	Failed         []string        `json:"failed"`
	ConsoleErrors  []string        `json:"consoleErrors"`
	CSPViolations  []string        `json:"cspViolations"`
}

// A user opens GraphiQL in Chromium with no internet connection (Chromium
// resolves no other host), pastes a token into the headers editor, runs the
// default query and gets data, then runs a subscription with a dispatcher's
// token and sees a fall reported over HTTP: the headers reached
// connection_init. Only under make e2e-browser, which installs Chromium and
// sets E2E_CHROMIUM to it.
func TestGraphiQL_in_a_browser(t *testing.T) {
	chromium := os.Getenv("E2E_CHROMIUM")
	if chromium == "" {
		t.Skip("E2E_CHROMIUM is not set: make e2e-browser runs this test with Debian's Chromium")
	}
	if graphiqlAssets.skip != "" {
		t.Skip(graphiqlAssets.skip)
	}
	if graphiqlAssets.err != nil {
		t.Fatalf("scripts/graphiql-assets.sh: %v\n%s", graphiqlAssets.err, graphiqlAssets.out)
	}
	dir, err := filepath.Abs("browser")
	if err != nil {
		t.Fatal(err)
	}
	checkLockfile(t, filepath.Join(dir, "package-lock.json"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "puppeteer-core", "package.json")); err != nil {
		npmRun(t, dir, 5*time.Minute, "ci", "--prefer-offline", "--no-audit", "--no-fund")
	}

	dataDir := t.TempDir()
	_, base := serve(t, dataDir, nil)
	waitReady(t, base, 30*time.Second)
	clinician := issueToken(t, dataDir, "--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example")
	dispatcher := issueToken(t, dataDir, "--role", "falls_dispatcher", "--name", "Dee Spatcher")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "graphiql.mjs", chromium, base+"/graphql", clinician, dispatcher)
	cmd.Dir = dir
	// SIGINT rather than SIGKILL, so that puppeteer closes Chromium too.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	steps := make(chan browserStep)
	go func() {
		defer close(steps)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var s browserStep
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				s = browserStep{Step: "unparsed: " + sc.Text()}
			}
			steps <- s
		}
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		cancel()
		for range steps {
		}
		_ = cmd.Wait()
		t.Fatalf(format+"\nnode stderr:\n%s", append(args, stderr.String())...)
	}

	got := map[string]browserStep{}
	reports := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case s, ok := <-steps:
			if !ok {
				fail("graphiql.mjs stopped after %v", keysOf(got))
			}
			got[s.Step] = s
			done = s.Step == "done"
		case <-tick.C:
			// The subscription starts at the log's end, and the page
			// cannot tell when the server has subscribed: report a fall a
			// second until the page shows one.
			if _, subscribed := got["subscribed"]; !subscribed || got["event"].Step != "" {
				continue
			}
			reports++
			if reports > 20 {
				fail("no event in the page after %d falls", reports)
			}
			res := graphqlAsVars(t, base, dispatcher, `mutation($cmd: String, $in: ReportFallInput!) { reportFall(commandId: $cmd, input: $in) { id } }`,
				map[string]any{"cmd": fmt.Sprintf("e2e-graphiql-fall-%d", reports), "in": map[string]any{
					"source": "TELECARE", "localityId": "leek",
					"address": map[string]any{"text": "1 Example Street, Leek", "postcode": "ST13 5AB"},
				}})
			if len(res.Errors) > 0 {
				fail("reportFall: %+v", res.Errors)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graphiql.mjs: %v\n%s", err, stderr.String())
	}

	var query struct {
		Data struct {
			Me         struct{ Name, Role string }
			Localities []struct{ ID string }
		}
		Errors []any
	}
	if err := json.Unmarshal(got["query"].Result, &query); err != nil || len(query.Errors) > 0 || query.Data.Me.Name != "Sam Example" || len(query.Data.Localities) != 1 {
		t.Errorf("the default query in the page returned %s (%v)", got["query"].Result, err)
	}
	if a, _ := got["subscribed"].ConnectionInit["Authorization"].(string); a != "Bearer "+dispatcher {
		t.Errorf("connection_init payload = %v, want the headers editor's Authorization", got["subscribed"].ConnectionInit)
	}
	var event struct {
		Data struct{ FallsQueueChanged struct{ ID, Status string } }
	}
	if err := json.Unmarshal(got["event"].Result, &event); err != nil || event.Data.FallsQueueChanged.ID == "" {
		t.Errorf("the subscription in the page showed %s (%v)", got["event"].Result, err)
	}
	d := got["done"]
	for what, list := range map[string][]string{
		"asked another origin for":          d.OffOrigin,
		"failed to load":                    d.Failed,
		"logged errors":                     d.ConsoleErrors,
		"broke its Content-Security-Policy": d.CSPViolations,
	} {
		if len(list) > 0 {
			t.Errorf("the page %s: %q", what, list)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fetch GETs u with an Accept header ("" sends none) and returns the
// response and its body.
func fetch(t *testing.T, u, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res, body
}
