package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestNew_production_writes_JSON_with_ISO8601_time(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(false, "info", zapcore.AddSync(&buf))
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request", zap.Int("status", 200))
	log.Debug("hidden")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 (debug must be filtered at info): %q", len(lines), buf.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatalf("line is not JSON: %v: %s", err, lines[0])
	}
	if entry["msg"] != "request" || entry["level"] != "info" || entry["status"] != float64(200) {
		t.Errorf("unexpected entry: %v", entry)
	}
	ts, _ := entry["ts"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", ts); err != nil {
		t.Errorf("ts %q is not ISO 8601: %v", ts, err)
	}
}

func TestNew_dev_writes_coloured_console(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(true, "debug", zapcore.AddSync(&buf))
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello", zap.String("k", "v"))
	out := buf.String()
	if strings.HasPrefix(out, "{") {
		t.Fatalf("dev output is JSON: %q", out)
	}
	if !strings.Contains(out, "\x1b[") || !strings.Contains(out, "DEBUG") || !strings.Contains(out, "hello") {
		t.Errorf("dev output lacks colour, level or message: %q", out)
	}
}

func TestNew_levels(t *testing.T) {
	for _, tc := range []struct {
		level   string
		enabled zapcore.Level
		off     zapcore.Level
	}{
		{"", zapcore.InfoLevel, zapcore.DebugLevel},
		{"debug", zapcore.DebugLevel, zapcore.DebugLevel - 1},
		{"WARN", zapcore.WarnLevel, zapcore.InfoLevel},
		{" error ", zapcore.ErrorLevel, zapcore.WarnLevel},
	} {
		log, err := New(false, tc.level)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.level, err)
		}
		if !log.Core().Enabled(tc.enabled) || log.Core().Enabled(tc.off) {
			t.Errorf("New(%q): want %v enabled and %v disabled", tc.level, tc.enabled, tc.off)
		}
	}
}

func TestNew_rejects_unknown_level(t *testing.T) {
	if _, err := New(false, "loud"); err == nil || !strings.Contains(err.Error(), `"loud"`) {
		t.Fatalf("New(loud) error = %v, want one naming the level", err)
	}
}

func TestCorrelationID_round_trip(t *testing.T) {
	ctx := context.Background()
	if got := CorrelationID(ctx); got != "" {
		t.Errorf("empty context: got %q", got)
	}
	ctx = WithCorrelationID(ctx, "abc-123")
	if got := CorrelationID(ctx); got != "abc-123" {
		t.Errorf("got %q, want abc-123", got)
	}
}

func TestNewTo_writes_to_the_given_writer(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewTo(&buf, false, "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if out := buf.String(); !strings.Contains(out, `"msg":"shown"`) || strings.Contains(out, "hidden") {
		t.Fatalf("%q", out)
	}
	if _, err := NewTo(&buf, false, "loud"); err == nil {
		t.Fatal("accepted an unknown level")
	}
}
