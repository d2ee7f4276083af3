package etcdadapter

// Option configures an Adapter.
type Option func(*Adapter)

// WithPrefix sets the etcd key prefix of every lock; default
// DefaultPrefix ("brokerlock/"). Adapters with different prefixes never
// see each other's locks.
func WithPrefix(prefix string) Option {
	return func(a *Adapter) { a.prefix = prefix }
}

// WithIdentity sets how this process names itself in its keys' values,
// which Inspect, List and `brokerlock status` show; default
// "hostname/pid". A pod name is a good choice on Kubernetes.
func WithIdentity(identity string) Option {
	return func(a *Adapter) { a.identity = identity }
}
