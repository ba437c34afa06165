package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// issueToken runs `carecoord token` against dataDir with args (--role,
// --locality, --name) and returns the token.
func issueToken(t testing.TB, dataDir string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, nil, append([]string{"token", "--data-dir", dataDir}, args...)...)
	if code != 0 {
		t.Fatalf("carecoord token %v: exit %d: %s", args, code, errOut)
	}
	return strings.TrimSpace(out)
}

// user is someone with a token, talking to the services' subgraphs at
// /subgraphs/<service>/graphql.
type user struct {
	t     testing.TB
	name  string // for failure messages
	base  string
	token string
}

// ask runs a query or mutation on a service's subgraph and returns the raw
// response, errors and all.
func (u *user) ask(service, query string, vars map[string]any) gqlResponse {
	u.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		u.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, u.base+"/subgraphs/"+service+"/graphql", bytes.NewReader(body))
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+u.token)
	return doGraphQL(u.t, req)
}

// do runs a query or mutation that must succeed and decodes its data into
// out (nil: discard).
func (u *user) do(service, query string, vars map[string]any, out any) {
	u.t.Helper()
	if err := u.try(service, query, vars, out); err != nil {
		u.t.Fatalf("%s on %s: %v\nquery: %s", u.name, service, err, query)
	}
}

// try is do that returns the failure instead of failing the test, for
// polling.
func (u *user) try(service, query string, vars map[string]any, out any) error {
	u.t.Helper()
	res := u.ask(service, query, vars)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		return fmt.Errorf("HTTP %d, errors %+v, data %s", res.Status, res.Errors, res.Data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		return fmt.Errorf("decoding %s: %v", res.Data, err)
	}
	return nil
}

// eventually polls cond until it reports true, failing the test after
// timeout with what and cond's last explanation. It is for effects that
// other services' event handlers bring about asynchronously.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, timeout, why)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// syntheticNHSNumber completes nine digits in the 999 test range (never
// issued to a real patient) with their Modulus 11 check digit, trying the
// following nine-digit numbers when no check digit fits (remainder 10).
func syntheticNHSNumber(t testing.TB, nine string) string {
	t.Helper()
	if len(nine) != 9 || !strings.HasPrefix(nine, "999") {
		t.Fatalf("syntheticNHSNumber(%q): want nine digits starting 999", nine)
	}
	var n int
	if _, err := fmt.Sscanf(nine, "%d", &n); err != nil {
		t.Fatal(err)
	}
	for ; n <= 999999999; n++ {
		d := fmt.Sprintf("%09d", n)
		sum := 0
		for i := range 9 {
			sum += int(d[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return d + fmt.Sprint(check)
		}
	}
	t.Fatalf("no valid NHS number from %s", nine)
	return ""
}
