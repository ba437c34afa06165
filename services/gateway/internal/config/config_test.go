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
		"data-dir":           "CARECOORD_DATA_DIR",
		"listen":             "CARECOORD_LISTEN",
		"dev":                "CARECOORD_DEV",
		"log-level":          "CARECOORD_LOG_LEVEL",
		"shutdown-timeout":   "CARECOORD_SHUTDOWN_TIMEOUT",
		"subgraph":           "CARECOORD_SUBGRAPHS",
		"jwks-url":           "CARECOORD_JWKS_URL",
		"oidc-issuer":        "CARECOORD_OIDC_ISSUER",
		"oidc-audience":      "CARECOORD_OIDC_AUDIENCE",
		"claim-role":         "CARECOORD_CLAIM_ROLE",
		"claim-organisation": "CARECOORD_CLAIM_ORGANISATION",
		"role-map":           "CARECOORD_ROLE_MAP",
	} {
		if got := EnvVar(flagName); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

var defaults = Config{DataDir: "./.data", Listen: "127.0.0.1:8080", LogLevel: "info", Services: "all", ShutdownTimeout: 10 * time.Second, GCPercent: DefaultGCPercent}

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
			"CARECOORD_GC_PERCENT":       "0",
		}, nil, Config{DataDir: "/var/lib/carecoord", Listen: ":9090", Dev: true, LogLevel: "debug", Services: "all", ShutdownTimeout: 30 * time.Second}},
		{"flags set every setting", nil,
			[]string{"--data-dir", "/tmp/d", "--listen=127.0.0.1:0", "--dev", "-log-level", "warn", "--shutdown-timeout", "2s", "--gc-percent", "200"},
			Config{DataDir: "/tmp/d", Listen: "127.0.0.1:0", Dev: true, LogLevel: "warn", Services: "all", ShutdownTimeout: 2 * time.Second, GCPercent: 200}},
		{"flag beats environment",
			map[string]string{"CARECOORD_LISTEN": "127.0.0.1:1", "CARECOORD_DEV": "true"},
			[]string{"--listen", "127.0.0.1:2", "--dev=false"},
			with(func(c *Config) { c.Listen = "127.0.0.1:2" })},
		{"empty environment value counts as unset", map[string]string{"CARECOORD_DATA_DIR": "", "CARECOORD_DEV": ""}, nil, defaults},
		{"unrelated variables are ignored", map[string]string{"DATA_DIR": "/x", "CARECOORD_UNKNOWN": "1"}, nil, defaults},
		{"a bad environment value is fine when the flag overrides it",
			map[string]string{"CARECOORD_LOG_LEVEL": "loud"}, []string{"--log-level", "error"},
			with(func(c *Config) { c.LogLevel = "error" })},
		{"a raft node joining a cluster", nil,
			[]string{"--raft", "--node-id", "n2", "--raft-addr", "127.0.0.1:7002", "--join", "127.0.0.1:7001, 127.0.0.1:7003", "--signing-key", "/etc/carecoord/key"},
			with(func(c *Config) {
				c.Raft = Raft{Enabled: true, NodeID: "n2", Addr: "127.0.0.1:7002", Join: "127.0.0.1:7001, 127.0.0.1:7003"}
				c.SigningKey = "/etc/carecoord/key"
			})},
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
		{"OIDC from the environment", map[string]string{
			"CARECOORD_JWKS_URL":           "https://idp.example/.well-known/jwks.json",
			"CARECOORD_OIDC_ISSUER":        "https://idp.example",
			"CARECOORD_OIDC_AUDIENCE":      "carecoord",
			"CARECOORD_CLAIM_SUBJECT":      "uid",
			"CARECOORD_CLAIM_NAME":         "given_name",
			"CARECOORD_CLAIM_ROLE":         "nhsid_nrbac_roles.0.role_code",
			"CARECOORD_CLAIM_LOCALITIES":   "carecoord.localities",
			"CARECOORD_CLAIM_ORGANISATION": "nhsid_nrbac_roles.0.org_code",
			"CARECOORD_ROLE_MAP":           "R8000=ict_clinician, R8001=bed_manager",
		}, nil, with(func(c *Config) {
			c.OIDC = OIDC{
				JWKSURL: "https://idp.example/.well-known/jwks.json", Issuer: "https://idp.example", Audience: "carecoord",
				ClaimSubject: "uid", ClaimName: "given_name", ClaimRole: "nhsid_nrbac_roles.0.role_code",
				ClaimLocalities: "carecoord.localities", ClaimOrganisation: "nhsid_nrbac_roles.0.org_code",
				RoleMap: map[string]string{"R8000": "ict_clinician", "R8001": "bed_manager"},
			}
		})},
		{"OIDC flags beat the environment; --role-map replaces the map",
			map[string]string{"CARECOORD_JWKS_URL": "https://a/jwks", "CARECOORD_ROLE_MAP": "R8000=ict_clinician"},
			[]string{"--jwks-url", "https://b/jwks", "--oidc-issuer", "https://b", "--oidc-audience", "cc", "--role-map", "R8001=bed_manager"},
			with(func(c *Config) {
				c.OIDC = OIDC{JWKSURL: "https://b/jwks", Issuer: "https://b", Audience: "cc", RoleMap: map[string]string{"R8001": "bed_manager"}}
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
		{"jwks-url without issuer and audience", nil, []string{"--jwks-url", "https://idp/jwks"},
			[]string{"--oidc-issuer: required with --jwks-url", "--oidc-audience: required"}},
		{"jwks-url not http", map[string]string{"CARECOORD_JWKS_URL": "idp/jwks", "CARECOORD_OIDC_ISSUER": "i", "CARECOORD_OIDC_AUDIENCE": "a"}, nil,
			[]string{"CARECOORD_JWKS_URL", "http:// or https://"}},
		{"OIDC settings without jwks-url", map[string]string{"CARECOORD_OIDC_ISSUER": "i"}, []string{"--claim-role", "roles"},
			[]string{"CARECOORD_OIDC_ISSUER: needs --jwks-url", "--claim-role: needs --jwks-url"}},
		{"role map without =", nil, []string{"--jwks-url", "https://idp/jwks", "--oidc-issuer", "i", "--oidc-audience", "a", "--role-map", "R8000"},
			[]string{"role-map", "CODE=ROLE"}},
		{"role map code twice", map[string]string{"CARECOORD_ROLE_MAP": "R8000=admin,R8000=bed_manager"}, nil,
			[]string{"CARECOORD_ROLE_MAP", "CODE=ROLE"}},
		{"every bad variable is reported", map[string]string{"CARECOORD_DEV": "maybe", "CARECOORD_SHUTDOWN_TIMEOUT": "soon"}, nil,
			[]string{"CARECOORD_DEV", "CARECOORD_SHUTDOWN_TIMEOUT"}},
		{"raft settings without --raft", nil, []string{"--node-id", "n1", "--join", "10.0.0.1:7001"},
			[]string{"--node-id: needs --raft", "--join: needs --raft"}},
		{"a raft node without a name or address", nil, []string{"--raft"},
			[]string{"--node-id", "--raft-addr"}},
		{"bootstrap and join at once", map[string]string{"CARECOORD_JOIN": "10.0.0.1:7001"}, []string{"--raft", "--node-id", "n2", "--raft-addr", "127.0.0.1:7002", "--bootstrap"},
			[]string{"CARECOORD_JOIN", "not both"}},
		{"a non-voter that joins nothing", nil, []string{"--raft", "--node-id", "n4", "--raft-addr", "127.0.0.1:7004", "--non-voter"},
			[]string{"--non-voter", "--join"}},
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

func TestRaft_JoinAddrs_splits_the_list(t *testing.T) {
	got := Raft{Join: " 127.0.0.1:7001, ,127.0.0.1:7003 "}.JoinAddrs()
	if len(got) != 2 || got[0] != "127.0.0.1:7001" || got[1] != "127.0.0.1:7003" {
		t.Fatalf("JoinAddrs = %q", got)
	}
	if c := (Config{DataDir: "/d"}); c.SigningKeyFile() != "/d/dev-signing-key" {
		t.Fatalf("SigningKeyFile = %q, want the data directory's", c.SigningKeyFile())
	}
}
