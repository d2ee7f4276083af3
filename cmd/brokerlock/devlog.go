package main

import (
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// devShutdownNoise is what embed logs at error level for each listener
// that Close stops ("use of closed network connection").
const devShutdownNoise = "setting up serving from embedded etcd failed."

// devLogger is the embedded etcd's logger: errors only, to stderr, less
// devShutdownNoise once stopping is set.
func devLogger(stopping *atomic.Bool) (*zap.Logger, error) {
	cfg := logutil.DefaultZapLoggerConfig
	cfg.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	cfg.OutputPaths, cfg.ErrorOutputPaths = []string{"stderr"}, []string{"stderr"}
	return cfg.Build(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return quietOnStop{Core: c, stopping: stopping}
	}))
}

// quietOnStop is a zapcore.Core that drops devShutdownNoise once stopping
// is set.
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
	if ent.Message == devShutdownNoise && q.stopping.Load() {
		return ce
	}
	return q.Core.Check(ent, ce)
}
