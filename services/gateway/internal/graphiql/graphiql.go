// Package graphiql serves carecoord's GraphiQL page: the GraphiQL IDE for a
// browser that asks /graphql for HTML, with every file it loads served by
// carecoord itself from the binary, so that it works with no internet
// connection. Queries and mutations go to /graphql over HTTP, subscriptions
// over WebSocket (graphql-transport-ws), both with the headers typed into
// GraphiQL's headers editor: on HTTP as request headers, on WebSocket as the
// connection_init payload, where the gateway reads Authorization.
//
// The browser files (React's and ReactDOM's UMD builds, GraphiQL's UMD build
// and its style sheet) come from the npm packages pinned in web/graphiql:
// scripts/graphiql-assets.sh (make graphiql, which make build runs) copies
// them into assets/, and go:embed builds them in. A binary built without
// them (go build with no npm run first) still answers /graphql for a
// browser, with a page that says how to add them. The page's own script and
// style sheet are in page/.
//
// Every file is served under [AssetPath] at a path holding a hash of its
// content, so that it can be cached for good; the page itself is
// revalidated on every load.
//
// It imports only the standard library.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AssetPath is where the page's scripts and style sheets are served:
// AssetPath + <content hash> + "/" + <name>.
const AssetPath = "/graphiql/"

// assetFiles are the files from npm that the page loads, in the order its
// scripts must run. Keep in step with files in scripts/graphiql-assets.sh.
var assetFiles = []string{
	"react.production.min.js",
	"react-dom.production.min.js",
	"graphiql.min.js",
	"graphiql.min.css",
}

// pageFiles are the page's own script and style sheet, in page/.
var pageFiles = []string{"carecoord-graphiql.js", "carecoord-graphiql.css"}

//go:embed assets
var npmAssets embed.FS

//go:embed page
var pageAssets embed.FS

// Handler serves the page and its files as built into the binary.
func Handler() *Page { return builtIn() }

var builtIn = sync.OnceValue(func() *Page {
	// Sub fails only on an invalid name; these are constants.
	a, _ := fs.Sub(npmAssets, "assets")
	p, _ := fs.Sub(pageAssets, "page")
	return New(a, p)
})

// Built reports whether this binary holds GraphiQL's browser files (see
// Handler); without them the page says how to add them.
func Built() bool { return Handler().Built() }

// Page serves the GraphiQL page (any path outside AssetPath) and its files
// (paths under AssetPath).
type Page struct {
	files   map[string]*file
	missing []string
	html    []byte
	etag    string
}

// file is one served file: its content, and the same gzipped, made on first
// request.
type file struct {
	name, hash, contentType string
	body                    []byte
	gzOnce                  sync.Once
	gz                      []byte
}

// New serves the page with the npm files ([assetFiles]) from assets and the
// page's own files from page, both at their roots. A file missing from
// assets makes the page say how to add them (see [Page.Built]); one missing
// from page is left out.
func New(assets, page fs.FS) *Page {
	p := &Page{files: map[string]*file{}}
	add := func(fsys fs.FS, name string) bool {
		b, err := fs.ReadFile(fsys, name)
		if err != nil || len(b) == 0 {
			return false
		}
		sum := sha256.Sum256(b)
		p.files[name] = &file{name: name, hash: hex.EncodeToString(sum[:8]), contentType: contentType(name), body: b}
		return true
	}
	for _, name := range assetFiles {
		if !add(assets, name) {
			p.missing = append(p.missing, name)
		}
	}
	for _, name := range pageFiles {
		add(page, name)
	}
	if p.Built() {
		p.html = p.render()
	} else {
		p.html = []byte(missingHTML)
	}
	sum := sha256.Sum256(p.html)
	p.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return p
}

// Built reports whether every npm file is present.
func (p *Page) Built() bool { return len(p.missing) == 0 }

// url is name's address relative to the page (which is served at /graphql,
// or wherever a proxy mounts it, with AssetPath beside it).
func (p *Page) url(name string) string {
	f := p.files[name]
	if f == nil {
		return ""
	}
	return strings.TrimPrefix(AssetPath, "/") + f.hash + "/" + f.name
}

func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, AssetPath); ok {
		p.serveFile(w, r, rest)
		return
	}
	p.servePage(w, r)
}

func (p *Page) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// /graphql answers JSON to the same URL for other Accept headers.
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy(r))
	if !p.Built() {
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(p.html)
		return
	}
	h.Set("ETag", p.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(p.html))
}

// contentSecurityPolicy lets the page load only its own files and talk only
// to its own origin: the page handles tokens. The WebSocket origin is named
// as well as 'self' for browsers in which 'self' does not cover ws: and wss:.
// GraphiQL sets inline styles, hence style-src 'unsafe-inline'; its fonts
// and icons are data: URLs.
func contentSecurityPolicy(r *http.Request) string {
	connect := "'self'"
	if validHost.MatchString(r.Host) {
		if r.TLS != nil {
			connect += " wss://" + r.Host
		} else {
			connect += " ws://" + r.Host + " wss://" + r.Host
		}
	}
	return "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
		"connect-src " + connect + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// validHost is a Host header that can go into the policy as it is.
var validHost = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// serveFile serves rest ("<hash>/<name>") with a year's caching: the hash
// changes with the content. Another hash (a page from before an upgrade)
// is not found rather than served with content that does not match it.
func (p *Page) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	hash, name, _ := strings.Cut(rest, "/")
	f := p.files[name]
	if f == nil || f.hash != hash {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	body, etag := f.body, f.hash
	if acceptsGzip(r) {
		f.gzOnce.Do(f.compress)
		if f.gz != nil {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gz, f.hash+"-gzip"
		}
	}
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// compress gzips the file, keeping the result only if it is smaller.
func (f *file) compress() {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(f.body)
	if zw.Close() == nil && buf.Len() < len(f.body) {
		f.gz = buf.Bytes()
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept-Encoding"), ","), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return qValue(params) > 0
		}
	}
	return false
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// WantsPage reports whether a request to /graphql is a browser asking for
// the page: a GET (or HEAD) with no GraphQL request in it (no query, nor an
// extensions parameter, which a persisted query sends alone), no upgrade
// to WebSocket, and an Accept header that prefers text/html to the JSON
// media types. Every other request is GraphQL's, as before the page.
func WantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	if q := r.URL.Query(); q.Has("query") || q.Has("extensions") {
		return false
	}
	var html, json float64
	for _, header := range r.Header.Values("Accept") {
		for _, part := range strings.Split(header, ",") {
			mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "text/html":
				html = max(html, qValue(params))
			case "application/json", "application/graphql-response+json":
				json = max(json, qValue(params))
			}
		}
	}
	return html > 0 && html > json
}

// qValue is the q parameter among media-range or coding parameters
// ("q=0.9; level=1"), 1 when absent.
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 {
				return 0
			}
			return min(q, 1)
		}
	}
	return 1
}
