package etcdadapter

import "log/slog"

// Option configures an Adapter.
type Option func(*Adapter)

// WithPrefix sets the etcd key prefix of every lock; default
// DefaultPrefix ("brokerlock/"). Adapters with different prefixes never
// see each other's locks.
func WithPrefix(prefix string) Option {
	return func(a *Adapter) { a.prefix = prefix }
}

// WithLogger sets where the adapter reports what no caller sees directly:
// lost locks (Warn), leases that died while in use (Warn), keys whose
// removal failed and is retried in the background (Warn) or given up
// (Error), and such keys removed after all (Info). Default: no logging.
func WithLogger(logger *slog.Logger) Option {
	return func(a *Adapter) { a.log = logger }
}

// WithIdentity sets how this process names itself in its keys' values,
// which Inspect, List and `brokerlock status` show; default
// "hostname/pid". A pod name is a good choice on Kubernetes.
func WithIdentity(identity string) Option {
	return func(a *Adapter) { a.identity = identity }
}
