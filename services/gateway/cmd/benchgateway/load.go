package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"carecoord/pkg/benchkit"
)

// target is one thing to load: every request is a POST of body to url.
type target struct {
	name string
	url  string
	body []byte
	// check inspects a 200 response body: "" if it is a good answer, else
	// a short reason (an error code) that counts the request as failed.
	check func(body []byte) string
}

// loadResult is what loading one target measured.
type loadResult struct {
	name     string
	elapsed  time.Duration
	ok       []time.Duration // latencies of good answers
	failures map[string]int  // by reason
	bytes    int64
}

func (r *loadResult) rps() float64 { return float64(len(r.ok)) / r.elapsed.Seconds() }

func (r *loadResult) report(w io.Writer) {
	lat := slices.Clone(r.ok)
	fmt.Fprintf(w, "benchgateway: %s: %d good answers in %v: %.0f/s; p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms; %.0f bytes/answer\n",
		r.name, len(r.ok), r.elapsed.Round(time.Millisecond), r.rps(),
		benchkit.Millis(benchkit.Percentile(lat, 50)), benchkit.Millis(benchkit.Percentile(lat, 90)), benchkit.Millis(benchkit.Percentile(lat, 99)), benchkit.Millis(benchkit.Percentile(lat, 100)),
		float64(r.bytes)/math.Max(1, float64(len(r.ok))))
	keys := make([]string, 0, len(r.failures))
	for k := range r.failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "benchgateway: %s: WARNING: %d failed requests: %s\n", r.name, r.failures[k], k)
	}
}

func newHTTPClient(clients int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = clients * 2
	tr.MaxIdleConnsPerHost = clients * 2
	tr.MaxConnsPerHost = 0
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// do sends one request and returns the status, the body and the duration.
func do(ctx context.Context, hc *http.Client, t target, token string) (int, []byte, time.Duration, error) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, time.Since(start), err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, body, time.Since(start), err
}

// load runs one client per token against t until the duration has passed.
func load(ctx context.Context, t target, tokens []string, d time.Duration) *loadResult {
	hc := newHTTPClient(len(tokens))
	defer hc.CloseIdleConnections()
	type clientResult struct {
		ok       []time.Duration
		failures map[string]int
		bytes    int64
	}
	results := make([]clientResult, len(tokens))
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			cr := clientResult{failures: map[string]int{}}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				status, body, took, err := do(ctx, hc, t, tok)
				switch {
				case err != nil:
					cr.failures["transport: "+err.Error()]++
				case status != http.StatusOK:
					cr.failures[fmt.Sprintf("HTTP %d %s", status, t.check(body))]++
				default:
					if reason := t.check(body); reason != "" {
						cr.failures[reason]++
						continue
					}
					cr.ok = append(cr.ok, took)
					cr.bytes += int64(len(body))
				}
			}
			results[i] = cr
		})
	}
	wg.Wait()
	res := &loadResult{name: t.name, elapsed: time.Since(start), failures: map[string]int{}}
	for _, cr := range results {
		res.ok = append(res.ok, cr.ok...)
		res.bytes += cr.bytes
		for k, v := range cr.failures {
			res.failures[k] += v
		}
	}
	return res
}

// graphQLCheck accepts a GraphQL answer with data.locality and no errors;
// otherwise it names the first error's code (e.g. RATE_LIMITED).
func graphQLCheck(body []byte) string {
	var r struct {
		Data struct {
			Locality json.RawMessage `json:"locality"`
		} `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "undecodable answer"
	}
	if len(r.Errors) > 0 {
		if c := r.Errors[0].Extensions.Code; c != "" {
			return c
		}
		return r.Errors[0].Message
	}
	if len(r.Data.Locality) == 0 || string(r.Data.Locality) == "null" {
		return "no locality in the answer"
	}
	return ""
}

// plainCheck accepts any JSON object with a name.
func plainCheck(body []byte) string {
	var r struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Name == "" {
		return "undecodable answer"
	}
	return ""
}
