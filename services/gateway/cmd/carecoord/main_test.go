package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"carecoord/pkg/auth"
	"carecoord/pkg/buildinfo"
)

func runArgs(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = run(context.Background(), args, &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func TestRun_commands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string // substring; "" means stdout must be empty
		stderr string // substring; "" means stderr must be empty
	}{
		{"version", nil, []string{"version"}, 0, buildinfo.Version + "\n", ""},
		{"version with arguments", nil, []string{"version", "x"}, 2, "", "unexpected arguments"},
		{"help", nil, []string{"help"}, 0, "carecoord serve", ""},
		{"--help", nil, []string{"--help"}, 0, "carecoord serve", ""},
		{"help serve", nil, []string{"help", "serve"}, 0, "CARECOORD_DATA_DIR", ""},
		{"serve -h", nil, []string{"serve", "-h"}, 0, "--listen", ""},
		{"no command", nil, nil, 2, "", "Usage:"},
		{"unknown command", nil, []string{"serv"}, 2, "", `unknown command "serv"`},
		{"bad environment", map[string]string{"CARECOORD_DEV": "yes please"}, []string{"serve"}, 2, "", "CARECOORD_DEV"},
		{"bad flag", nil, []string{"serve", "--colour"}, 2, "", "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(tc.env, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			for _, c := range []struct{ name, got, want string }{{"stdout", stdout, tc.stdout}, {"stderr", stderr, tc.stderr}} {
				if c.want == "" && c.got != "" {
					t.Errorf("%s = %q, want nothing", c.name, c.got)
				}
				if !strings.Contains(c.got, c.want) {
					t.Errorf("%s = %q, want it to contain %q", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestRun_version_is_exactly_one_line(t *testing.T) {
	_, stdout, _ := runArgs(nil, "version")
	if stdout != buildinfo.Version+"\n" {
		t.Errorf("stdout = %q, want %q", stdout, buildinfo.Version+"\n")
	}
}

func TestToken_prints_only_a_token_that_the_data_dir_key_verifies(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) (string, bool) {
		if k == "CARECOORD_DATA_DIR" {
			return dir, true
		}
		return "", false
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"token", "--role", "ict_clinician", "--locality", "leek", "--name", "Sam Example"}, &out, &errOut, env)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	tok := strings.TrimSpace(out.String())
	if strings.Count(tok, ".") != 2 || strings.Contains(tok, " ") {
		t.Fatalf("stdout is not just a token: %q", out.String())
	}
	key, err := auth.LoadOrCreateDevKey(filepath.Join(dir, "dev-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := key.Verifier().Verify(context.Background(), tok)
	if err != nil || v.Role != auth.ICTClinician || len(v.Localities) != 1 || v.Localities[0] != "leek" || v.Name != "Sam Example" {
		t.Fatalf("verified %+v, %v", v, err)
	}
	for _, bad := range [][]string{{"token", "--role", "wizard"}, {"token", "--role", "ict_clinician"}, {"token", "--role", "admin", "--locality", "atlantis"}} {
		if code := run(context.Background(), bad, &out, &errOut, env); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
