package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

var client = &http.Client{Timeout: 10 * time.Second}

// httpGet returns the status and body of GET url.
func httpGet(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return res.StatusCode, string(body)
}

// waitReady polls /readyz until it answers 200, failing the test after
// timeout.
func waitReady(t testing.TB, baseURL string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := client.Get(baseURL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz still %d after %s: %s", res.StatusCode, timeout, body)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("/readyz unreachable after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gqlResponse is a GraphQL-over-HTTP response.
type gqlResponse struct {
	Status      int
	ContentType string
	Header      http.Header
	Data        json.RawMessage `json:"data"`
	Errors      []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// graphql POSTs a GraphQL request with the given Accept header ("" sends
// none).
func graphql(t testing.TB, baseURL, accept, query string, variables map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return doGraphQL(t, req)
}

func doGraphQL(t testing.TB, req *http.Request) gqlResponse {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: response is not JSON (%d): %s", req.Method, req.URL.Path, res.StatusCode, raw)
	}
	out.Status, out.ContentType, out.Header = res.StatusCode, res.Header.Get("Content-Type"), res.Header
	return out
}
