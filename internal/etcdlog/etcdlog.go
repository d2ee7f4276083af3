// Package etcdlog builds the zap loggers of the embedded etcd servers that
// the tests (internal/testutil) and `brokerlock dev` start: to stderr,
// without the errors every shutdown logs.
package etcdlog

import (
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// shutdownNoise is what embed logs at error level for every listener when
// Close stops it ("http: Server closed", "use of closed network connection").
const shutdownNoise = "setting up serving from embedded etcd failed."

// Config returns etcd's zap configuration at level, to stderr.
func Config(level zapcore.Level) zap.Config {
	cfg := logutil.DefaultZapLoggerConfig
	cfg.Level = zap.NewAtomicLevelAt(level)
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return cfg
}

// Server returns the logger of one embedded server run at level, to
// stderr. Once stopping is set it drops shutdownNoise, so every stop does
// not print four bogus errors; everything else is printed.
func Server(level zapcore.Level, stopping *atomic.Bool) (*zap.Logger, error) {
	return Config(level).Build(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return quietOnStop{Core: c, stopping: stopping}
	}))
}

// quietOnStop is a zapcore.Core that drops shutdownNoise once stopping is set.
type quietOnStop struct {
	zapcore.Core
	stopping *atomic.Bool
}

// With implements zapcore.Core, keeping the filter on derived cores.
func (q quietOnStop) With(fields []zapcore.Field) zapcore.Core {
	return quietOnStop{Core: q.Core.With(fields), stopping: q.stopping}
}

// Check implements zapcore.Core.
func (q quietOnStop) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if ent.Message == shutdownNoise && q.stopping.Load() {
		return ce
	}
	return q.Core.Check(ent, ce)
}
