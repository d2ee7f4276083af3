package testutil

import (
	"sync"
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/internal/etcdlog"
)

// serverLogger returns the logger of one server run at logLevel, to
// stderr, quiet about the errors every Stop logs (etcdlog.Server).
func serverLogger(stopping *atomic.Bool) (*zap.Logger, error) {
	return etcdlog.Server(logutil.ConvertToZapLevel(logLevel), stopping)
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
	return etcdlog.Config(logutil.ConvertToZapLevel(logLevel))
}
