// Package logging builds carecoord's zap loggers and carries a request's
// correlation ID in a context, so that every process logs the same way.
//
// Logs must never hold patient data (names, NHS numbers, clinical text, query
// variables, request bodies): log identifiers and outcomes, not content.
//
// It imports only zap and the standard library.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns the process logger, writing to standard error. By default it
// writes JSON lines with ISO 8601 times, for log shippers; dev switches to a
// readable, coloured console format. level is one of debug, info, warn, error
// (empty means info).
func New(dev bool, level string) (*zap.Logger, error) {
	return newLogger(dev, level, zapcore.Lock(os.Stderr))
}

// NewTo is New writing to w instead of standard error: a command that is
// handed its stderr (and so can be run in a test) logs there.
func NewTo(w io.Writer, dev bool, level string) (*zap.Logger, error) {
	return newLogger(dev, level, zapcore.Lock(zapcore.AddSync(w)))
}

// ParseLevel parses a level name as New accepts it, so that configuration can
// reject a bad level before anything starts.
func ParseLevel(level string) (zapcore.Level, error) {
	if strings.TrimSpace(level) == "" {
		return zapcore.InfoLevel, nil
	}
	l, err := zapcore.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil {
		return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", level)
	}
	return l, nil
}

func newLogger(dev bool, level string, out zapcore.WriteSyncer) (*zap.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	var (
		enc  zapcore.Encoder
		opts = []zap.Option{zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr))}
	)
	if dev {
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(cfg)
		opts = append(opts, zap.Development(), zap.AddStacktrace(zapcore.WarnLevel))
	} else {
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
		opts = append(opts, zap.AddStacktrace(zapcore.ErrorLevel))
	}
	// Unlike zap's production preset this does not sample: request and
	// handler lines share a message, and sampling would silently drop most of
	// them under load, which is exactly when they are needed.
	return zap.New(zapcore.NewCore(enc, out, lvl), opts...), nil
}
