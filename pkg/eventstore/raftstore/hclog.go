package raftstore

import (
	"fmt"
	"io"
	"log"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapHclog adapts zap to the hclog.Logger that hashicorp/raft wants. Raft's
// messages carry indexes, terms, addresses and errors, never entry data, so
// no patient data reaches the log through it.
type zapHclog struct {
	z       *zap.Logger
	name    string
	implied []interface{}
	level   *atomic.Int32 // shared by every logger derived from one root
}

func newHclog(z *zap.Logger, level string) hclog.Logger {
	l := &zapHclog{z: z, level: new(atomic.Int32)}
	l.level.Store(int32(hclog.LevelFromString(level)))
	if hclog.Level(l.level.Load()) == hclog.NoLevel {
		l.level.Store(int32(hclog.Warn))
	}
	return l
}

func (l *zapHclog) enabled(level hclog.Level) bool {
	return level != hclog.Off && level >= hclog.Level(l.level.Load())
}

func (l *zapHclog) Log(level hclog.Level, msg string, args ...interface{}) {
	if !l.enabled(level) {
		return
	}
	fields := fieldsOf(append(append([]interface{}{}, l.implied...), args...))
	z := l.z
	if l.name != "" {
		z = z.Named(l.name)
	}
	switch {
	case level >= hclog.Error:
		z.Error(msg, fields...)
	case level == hclog.Warn:
		z.Warn(msg, fields...)
	case level == hclog.Info:
		z.Info(msg, fields...)
	default:
		z.Debug(msg, fields...)
	}
}

// fieldsOf turns hclog's alternating keys and values into zap fields.
func fieldsOf(args []interface{}) []zapcore.Field {
	fields := make([]zapcore.Field, 0, len(args)/2+1)
	for i := 0; i < len(args); i += 2 {
		if i+1 == len(args) {
			fields = append(fields, zap.Any("extra", args[i]))
			break
		}
		key, ok := args[i].(string)
		if !ok {
			key = fmt.Sprint(args[i])
		}
		if err, ok := args[i+1].(error); ok {
			fields = append(fields, zap.NamedError(key, err))
			continue
		}
		fields = append(fields, zap.Any(key, args[i+1]))
	}
	return fields
}

func (l *zapHclog) Trace(msg string, args ...interface{}) { l.Log(hclog.Trace, msg, args...) }
func (l *zapHclog) Debug(msg string, args ...interface{}) { l.Log(hclog.Debug, msg, args...) }
func (l *zapHclog) Info(msg string, args ...interface{})  { l.Log(hclog.Info, msg, args...) }
func (l *zapHclog) Warn(msg string, args ...interface{})  { l.Log(hclog.Warn, msg, args...) }
func (l *zapHclog) Error(msg string, args ...interface{}) { l.Log(hclog.Error, msg, args...) }
func (l *zapHclog) IsTrace() bool                         { return l.enabled(hclog.Trace) }
func (l *zapHclog) IsDebug() bool                         { return l.enabled(hclog.Debug) }
func (l *zapHclog) IsInfo() bool                          { return l.enabled(hclog.Info) }
func (l *zapHclog) IsWarn() bool                          { return l.enabled(hclog.Warn) }
func (l *zapHclog) IsError() bool                         { return l.enabled(hclog.Error) }
func (l *zapHclog) ImpliedArgs() []interface{}            { return l.implied }
func (l *zapHclog) Name() string                          { return l.name }
func (l *zapHclog) SetLevel(level hclog.Level)            { l.level.Store(int32(level)) }
func (l *zapHclog) GetLevel() hclog.Level                 { return hclog.Level(l.level.Load()) }

func (l *zapHclog) With(args ...interface{}) hclog.Logger {
	c := *l
	c.implied = append(append([]interface{}{}, l.implied...), args...)
	return &c
}

func (l *zapHclog) Named(name string) hclog.Logger {
	c := *l
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (l *zapHclog) ResetNamed(name string) hclog.Logger {
	c := *l
	c.name = name
	return &c
}

func (l *zapHclog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l *zapHclog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return stdWriter{l}
}

// stdWriter takes lines from libraries that log through the standard
// logger (raft's transport does) and logs them at info.
type stdWriter struct{ l *zapHclog }

func (w stdWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := hclog.Info
	switch {
	case strings.HasPrefix(msg, "[ERR"):
		level = hclog.Error
	case strings.HasPrefix(msg, "[WARN"):
		level = hclog.Warn
	case strings.HasPrefix(msg, "[DEBUG"):
		level = hclog.Debug
	}
	w.l.Log(level, msg)
	return len(p), nil
}
