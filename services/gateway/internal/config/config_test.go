package config

import (
	"bytes"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvVar(t *testing.T) {
	for flagName, want := range map[string]string{
		"data-dir":         "CARECOORD_DATA_DIR",
		"listen":           "CARECOORD_LISTEN",
		"dev":              "CARECOORD_DEV",
		"log-level":        "CARECOORD_LOG_LEVEL",
		"shutdown-timeout": "CARECOORD_SHUTDOWN_TIMEOUT",
		"subgraph":         "CARECOORD_SUBGRAPHS",
	} {
		if got := EnvVar(flagName); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

var defaults = Config{DataDir: "./.data", Listen: "127.0.0.1:8080", LogLevel: "info", Services: "all", ShutdownTimeout: 10 * time.Second}

func TestParse(t *testing.T) {
	with := func(f func(*Config)) Config { c := defaults; f(&c); return c }
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want Config
	}{
		{"defaults", nil, nil, defaults},
		{"environment sets every flag", map[string]string{
			"CARECOORD_DATA_DIR":         "/var/lib/carecoord",
			"CARECOORD_LISTEN":           ":9090",
			"CARECOORD_DEV":              "true",
			"CARECOORD_LOG_LEVEL":        "debug",
			"CARECOORD_SHUTDOWN_TIMEOUT": "30s",
		}, nil, Config{DataDir: "/var/lib/carecoord", Listen: ":9090", Dev: true, LogLevel: "debug", Services: "all", ShutdownTimeout: 30 * time.Second}},
		{"flags set every setting", nil,
			[]string{"--data-dir", "/tmp/d", "--listen=127.0.0.1:0", "--dev", "-log-level", "warn", "--shutdown-timeout", "2s"},
			Config{DataDir: "/tmp/d", Listen: "127.0.0.1:0", Dev: true, LogLevel: "warn", Services: "all", ShutdownTimeout: 2 * time.Second}},
		{"flag beats environment",
			map[string]string{"CARECOORD_LISTEN": "127.0.0.1:1", "CARECOORD_DEV": "true"},
			[]string{"--listen", "127.0.0.1:2", "--dev=false"},
			with(func(c *Config) { c.Listen = "127.0.0.1:2" })},
		{"empty environment value counts as unset", map[string]string{"CARECOORD_DATA_DIR": "", "CARECOORD_DEV": ""}, nil, defaults},
		{"unrelated variables are ignored", map[string]string{"DATA_DIR": "/x", "CARECOORD_UNKNOWN": "1"}, nil, defaults},
		{"a bad environment value is fine when the flag overrides it",
			map[string]string{"CARECOORD_LOG_LEVEL": "loud"}, []string{"--log-level", "error"},
			with(func(c *Config) { c.LogLevel = "error" })},
		{"repeated --subgraph flags", nil,
			[]string{"--services", "caseload,beds", "--subgraph", "referrals=http://r:8080/subgraphs/referrals/federated", "--subgraph=falls=https://f/subgraphs/falls/federated"},
			with(func(c *Config) {
				c.Services = "caseload,beds"
				c.Subgraphs = []RemoteSubgraph{{"referrals", "http://r:8080/subgraphs/referrals/federated"}, {"falls", "https://f/subgraphs/falls/federated"}}
			})},
		{"CARECOORD_SUBGRAPHS is a comma-separated list",
			map[string]string{"CARECOORD_SERVICES": "caseload", "CARECOORD_SUBGRAPHS": "referrals=http://r/a, beds=http://b/b"}, nil,
			with(func(c *Config) {
				c.Services = "caseload"
				c.Subgraphs = []RemoteSubgraph{{"referrals", "http://r/a"}, {"beds", "http://b/b"}}
			})},
		{"--subgraph flags replace CARECOORD_SUBGRAPHS",
			map[string]string{"CARECOORD_SUBGRAPHS": "referrals=http://r/a,beds=http://b/b"},
			[]string{"--services", "caseload", "--subgraph", "falls=http://f/f"},
			with(func(c *Config) {
				c.Services = "caseload"
				c.Subgraphs = []RemoteSubgraph{{"falls", "http://f/f"}}
			})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.args, env(tc.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParse_errors_name_their_source(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error
	}{
		{"bad boolean in environment", map[string]string{"CARECOORD_DEV": "maybe"}, nil,
			[]string{"CARECOORD_DEV", `"maybe"`, "boolean"}},
		{"bad duration in environment", map[string]string{"CARECOORD_SHUTDOWN_TIMEOUT": "soon"}, nil,
			[]string{"CARECOORD_SHUTDOWN_TIMEOUT", "duration"}},
		{"bad level in environment", map[string]string{"CARECOORD_LOG_LEVEL": "loud"}, nil,
			[]string{"CARECOORD_LOG_LEVEL", `"loud"`}},
		{"bad listen in environment", map[string]string{"CARECOORD_LISTEN": "8080"}, nil,
			[]string{"CARECOORD_LISTEN", "host:port"}},
		{"bad level flag", nil, []string{"--log-level", "loud"}, []string{"--log-level", `"loud"`}},
		{"bad port flag", nil, []string{"--listen", "localhost:http"}, []string{"--listen", "port"}},
		{"zero shutdown timeout", nil, []string{"--shutdown-timeout", "0s"}, []string{"--shutdown-timeout", "positive"}},
		{"unknown flag", nil, []string{"--colour"}, []string{"colour"}},
		{"stray argument", nil, []string{"--dev", "now"}, []string{"unexpected", "now"}},
		{"subgraph without =", nil, []string{"--services", "caseload", "--subgraph", "referrals"},
			[]string{"subgraph", "NAME=URL"}},
		{"unknown subgraph service", nil, []string{"--services", "caseload", "--subgraph", "pharmacy=http://p/x"},
			[]string{"--subgraph", `unknown service "pharmacy"`, "referrals"}},
		{"subgraph URL not http", nil, []string{"--services", "caseload", "--subgraph", "referrals=ftp://r/x"},
			[]string{"--subgraph", "http:// or https://"}},
		{"subgraph URL without host", nil, []string{"--services", "caseload", "--subgraph", "referrals=/subgraphs/referrals/federated"},
			[]string{"--subgraph", "http:// or https://"}},
		{"subgraph also hosted by default (all)", nil, []string{"--subgraph", "referrals=http://r/x"},
			[]string{"--subgraph", "referrals", "also hosted", "--services", "caseload,beds,falls"}},
		{"subgraph also hosted by name", nil, []string{"--services", "referrals,caseload", "--subgraph", "referrals=http://r/x"},
			[]string{"referrals", "also hosted"}},
		{"subgraph given twice", nil, []string{"--services", "caseload", "--subgraph", "referrals=http://r/x", "--subgraph", "referrals=http://r/y"},
			[]string{"more than once"}},
		{"bad subgraph in environment", map[string]string{"CARECOORD_SERVICES": "caseload", "CARECOORD_SUBGRAPHS": "referrals=r:8080"}, nil,
			[]string{"CARECOORD_SUBGRAPHS", "http://"}},
		{"every bad variable is reported", map[string]string{"CARECOORD_DEV": "maybe", "CARECOORD_SHUTDOWN_TIMEOUT": "soon"}, nil,
			[]string{"CARECOORD_DEV", "CARECOORD_SHUTDOWN_TIMEOUT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.args, env(tc.env))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParse_help(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		if _, err := Parse([]string{arg}, env(nil)); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("Parse(%s) = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestPrintUsage_lists_every_flag_with_its_variable(t *testing.T) {
	var buf bytes.Buffer
	PrintUsage(&buf)
	flagSet(&Config{}).VisitAll(func(f *flag.Flag) {
		if !strings.Contains(buf.String(), "--"+f.Name) || !strings.Contains(buf.String(), EnvVar(f.Name)) {
			t.Errorf("usage lacks --%s or %s:\n%s", f.Name, EnvVar(f.Name), buf.String())
		}
	})
}
