package testutil

import (
	"sync"
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// shutdownNoise is what embed logs at error level for every listener when
// Close stops it ("http: Server closed", "use of closed network connection").
const shutdownNoise = "setting up serving from embedded etcd failed."

// serverLogger returns the error-level stderr logger of one server run. Once
// stopping is set it drops shutdownNoise, so every Stop does not print four
// bogus errors; everything else at error level is still printed.
func serverLogger(stopping *atomic.Bool) (*zap.Logger, error) {
	return stderrConfig().Build(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return quietOnStop{Core: c, stopping: stopping}
	}))
}

// clientLogger returns the logger shared by all clients made here: errors
// only, to stderr. The clientv3 default logs every retry at warn level,
// which is noise in tests that stop members on purpose.
var clientLogger = sync.OnceValue(func() *zap.Logger {
	lg, err := stderrConfig().Build()
	if err != nil {
		return zap.NewNop()
	}
	return lg
})

// stderrConfig returns etcd's zap configuration at logLevel, to stderr.
func stderrConfig() zap.Config {
	cfg := logutil.DefaultZapLoggerConfig
	cfg.Level = zap.NewAtomicLevelAt(logutil.ConvertToZapLevel(logLevel))
	cfg.OutputPaths = []string{"stderr"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	return cfg
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
