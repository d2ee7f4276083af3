package etcdadapter

// Option configures an Adapter.
type Option func(*Adapter)

// WithPrefix sets the etcd key prefix of every lock; default
// DefaultPrefix ("brokerlock/"). Adapters with different prefixes never
// see each other's locks.
func WithPrefix(prefix string) Option {
	return func(a *Adapter) { a.prefix = prefix }
}
