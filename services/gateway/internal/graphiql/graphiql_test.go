package graphiql_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"carecoord/services/gateway/internal/graphiql"
)

// chromeAccept is what a browser sends when it navigates to a page.
const chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

// npmFiles stand in for the files scripts/graphiql-assets.sh copies from
// npm, big enough to be worth compressing.
func npmFiles() fstest.MapFS {
	files := fstest.MapFS{}
	for name, body := range map[string]string{
		"react.production.min.js":     "window.React = {};\n",
		"react-dom.production.min.js": "window.ReactDOM = {};\n",
		"graphiql.min.js":             "window.GraphiQL = function () {};\n",
		"graphiql.min.css":            ".graphiql-container { display: flex; }\n",
	} {
		files[name] = &fstest.MapFile{Data: []byte(strings.Repeat(body, 200))}
	}
	return files
}

func newPage(t *testing.T, assets fstest.MapFS) *graphiql.Page {
	t.Helper()
	return graphiql.New(assets, os.DirFS("page"))
}

func get(t *testing.T, h http.Handler, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var assetRef = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

// refs are the src and href addresses in a page, in order, but for data:
// URLs (the empty icon, which saves a request for /favicon.ico).
func refs(page string) []string {
	var out []string
	for _, m := range assetRef.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			out = append(out, m[1])
		}
	}
	return out
}

func TestWantsPage(t *testing.T) {
	for _, c := range []struct {
		name, method, target string
		header               map[string]string
		want                 bool
	}{
		{"a browser navigating", "GET", "/graphql", map[string]string{"Accept": chromeAccept}, true},
		{"text/html alone", "GET", "/graphql", map[string]string{"Accept": "text/html"}, true},
		{"HEAD from a browser", "HEAD", "/graphql", map[string]string{"Accept": chromeAccept}, true},
		{"HTML preferred to JSON", "GET", "/graphql", map[string]string{"Accept": "application/json;q=0.5, text/html"}, true},
		{"no Accept", "GET", "/graphql", nil, false},
		{"any type", "GET", "/graphql", map[string]string{"Accept": "*/*"}, false},
		{"JSON", "GET", "/graphql", map[string]string{"Accept": "application/json"}, false},
		{"GraphQL response", "GET", "/graphql", map[string]string{"Accept": "application/graphql-response+json"}, false},
		{"JSON as much as HTML", "GET", "/graphql", map[string]string{"Accept": "text/html, application/json"}, false},
		{"HTML refused", "GET", "/graphql", map[string]string{"Accept": "text/html;q=0"}, false},
		{"a query from a browser", "GET", "/graphql?query=%7B__typename%7D", map[string]string{"Accept": chromeAccept}, false},
		{"a persisted query from a browser", "GET", `/graphql?extensions=%7B%7D`, map[string]string{"Accept": chromeAccept}, false},
		{"a WebSocket upgrade", "GET", "/graphql", map[string]string{"Accept": chromeAccept, "Upgrade": "websocket", "Connection": "Upgrade"}, false},
		{"POST", "POST", "/graphql", map[string]string{"Accept": chromeAccept}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.target, nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			if got := graphiql.WantsPage(req); got != c.want {
				t.Errorf("WantsPage = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPage_serves_GraphiQL_to_a_browser(t *testing.T) {
	p := newPage(t, npmFiles())
	if !p.Built() {
		t.Fatal("Built() = false with every npm file present")
	}
	res := get(t, p, "/graphql", map[string]string{"Accept": chromeAccept})
	page := body(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for k, want := range map[string]string{"Cache-Control": "no-cache", "Vary": "Accept", "X-Content-Type-Options": "nosniff"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self';", "connect-src 'self' ws://example.com wss://example.com;", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}

	// The scripts in the order they must run, each at a relative address
	// beside /graphql that changes with its content.
	got := refs(page)
	want := []string{
		`^graphiql/[0-9a-f]{16}/graphiql\.min\.css$`,
		`^graphiql/[0-9a-f]{16}/carecoord-graphiql\.css$`,
		`^graphiql/[0-9a-f]{16}/react\.production\.min\.js$`,
		`^graphiql/[0-9a-f]{16}/react-dom\.production\.min\.js$`,
		`^graphiql/[0-9a-f]{16}/graphiql\.min\.js$`,
		`^graphiql/[0-9a-f]{16}/carecoord-graphiql\.js$`,
	}
	if len(got) != len(want) {
		t.Fatalf("page refers to %q, want %d files", got, len(want))
	}
	for i := range want {
		if !regexp.MustCompile(want[i]).MatchString(got[i]) {
			t.Errorf("reference %d = %q, want %s", i, got[i], want[i])
		}
	}
	for _, ref := range got {
		if strings.Contains(ref, "//") || strings.Contains(ref, ":") {
			t.Errorf("page refers to %q: not relative", ref)
		}
	}

	// The page's script reads the pre-filled editors from the page.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="carecoord-graphiql-config">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no config in the page:\n%s", page)
	}
	var cfg struct{ DefaultQuery, DefaultHeaders, TokenPlaceholder string }
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("config %s: %v", m[1], err)
	}
	var headers map[string]string
	if err := json.Unmarshal([]byte(cfg.DefaultHeaders), &headers); err != nil || headers["Authorization"] != "Bearer <paste a token>" {
		t.Errorf("default headers = %q (%v), want an Authorization with the placeholder", cfg.DefaultHeaders, err)
	}
	if cfg.TokenPlaceholder != graphiql.TokenPlaceholder || cfg.DefaultQuery != graphiql.DefaultQuery {
		t.Errorf("config = %+v", cfg)
	}
	if strings.Contains(m[1], "<") {
		t.Errorf("the config can end its script element: %s", m[1])
	}

	// A reload revalidates and is told nothing changed.
	res = get(t, p, "/graphql", map[string]string{"Accept": chromeAccept, "If-None-Match": res.Header.Get("ETag")})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", res.StatusCode)
	}
}

func TestPage_serves_its_files_with_their_types_for_a_year(t *testing.T) {
	npm := npmFiles()
	p := newPage(t, npm)
	page := body(t, get(t, p, "/graphql", map[string]string{"Accept": chromeAccept}))
	for _, ref := range refs(page) {
		name := ref[strings.LastIndex(ref, "/")+1:]
		want, err := os.ReadFile("page/" + name)
		if f, ok := npm[name]; ok {
			want, err = f.Data, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		wantType := "text/javascript; charset=utf-8"
		if strings.HasSuffix(name, ".css") {
			wantType = "text/css; charset=utf-8"
		}

		res := get(t, p, "/"+ref, nil)
		if got := body(t, res); res.StatusCode != http.StatusOK || got != string(want) {
			t.Errorf("GET /%s = %d, %d bytes, want 200 with the file's %d", ref, res.StatusCode, len(got), len(want))
		}
		for k, v := range map[string]string{
			"Content-Type":           wantType,
			"Cache-Control":          "public, max-age=31536000, immutable",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("GET /%s: %s = %q, want %q", ref, k, got, v)
			}
		}

		res = get(t, p, "/"+ref, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("GET /%s gzipped: %d bytes (%v), want the file's %d", ref, len(got), err, len(want))
			}
		} else if _, npmFile := npm[name]; npmFile {
			t.Errorf("GET /%s with Accept-Encoding gzip: not gzipped", ref)
		}
	}

	for _, target := range []string{
		"/graphiql/0000000000000000/graphiql.min.js", // another version's
		"/graphiql/graphiql.min.js",
		"/graphiql/",
		"/graphiql/0000000000000000/graphiql.min.js.map",
	} {
		if res := get(t, p, target, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, res.StatusCode)
		}
	}
}

func TestPage_without_the_npm_files_says_how_to_add_them(t *testing.T) {
	npm := npmFiles()
	delete(npm, "graphiql.min.js")
	p := newPage(t, npm)
	if p.Built() {
		t.Fatal("Built() = true without graphiql.min.js")
	}
	res := get(t, p, "/graphql", map[string]string{"Accept": chromeAccept})
	page := body(t, res)
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("page = %d %s, want 404 text/html", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"GraphiQL is not in this build", "make graphiql", "make build"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if refs := refs(page); len(refs) > 0 {
		t.Errorf("page loads %q: it must not fall back on other hosts or half the files", refs)
	}
}

// The binary's own page: its script and style sheet are always built in,
// the npm files only after make graphiql.
func TestHandler_serves_the_files_built_in(t *testing.T) {
	p := graphiql.Handler()
	if !graphiql.Built() {
		t.Skip("GraphiQL's npm files are not in assets/ (make graphiql)")
	}
	page := body(t, get(t, p, "/graphql", map[string]string{"Accept": chromeAccept}))
	found := map[string]bool{}
	for _, ref := range refs(page) {
		found[ref[strings.LastIndex(ref, "/")+1:]] = true
		if res := get(t, p, "/"+ref, nil); res.StatusCode != http.StatusOK || len(body(t, res)) == 0 {
			t.Errorf("GET /%s = %d", ref, res.StatusCode)
		}
	}
	for _, name := range []string{"carecoord-graphiql.js", "carecoord-graphiql.css", "graphiql.min.js"} {
		if !found[name] {
			t.Errorf("the page does not load %s", name)
		}
	}
}
