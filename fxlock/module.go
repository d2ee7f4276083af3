package fxlock

import (
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/fx"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Module provides, from the application's Config, a *clientv3.Client, an
// *etcdadapter.Adapter, the same adapter as brokerlock.Adapter, and a
// *brokerlock.BrokerLock on that brokerlock.Adapter (so an fx.Decorate of
// brokerlock.Adapter, e.g. with promlock.Wrap, reaches the BrokerLock).
// When the application stops, the adapter is closed, then the client.
//
// An application that already has a *clientv3.Client uses the
// constructors instead: fx.Provide(fxlock.NewAdapter, fxlock.AsAdapter,
// brokerlock.New).
var Module = fx.Module("brokerlock",
	fx.Provide(NewClient, NewAdapter, AsAdapter, brokerlock.New),
)

// NewClient returns an etcd client for cfg that is closed when the
// application stops. A bad cfg fails with an error wrapping
// ErrInvalidConfig.
func NewClient(lc fx.Lifecycle, cfg Config) (*clientv3.Client, error) {
	ccfg, err := cfg.ClientConfig()
	if err != nil {
		return nil, err
	}
	client, err := clientv3.New(ccfg)
	if err != nil {
		return nil, fmt.Errorf("fxlock: etcd client for %v: %w", cfg.Endpoints, err)
	}
	lc.Append(fx.StopHook(client.Close))
	return client, nil
}

// NewAdapter returns an etcdadapter.Adapter on client with cfg's Prefix,
// Identity and AdapterOptions, closed when the application stops, before
// the client (fx stops in the reverse order of construction).
func NewAdapter(lc fx.Lifecycle, cfg Config, client *clientv3.Client) *etcdadapter.Adapter {
	a := etcdadapter.New(client, cfg.adapterOptions()...)
	lc.Append(fx.StopHook(a.Close))
	return a
}

// AsAdapter provides the etcd adapter as a brokerlock.Adapter.
func AsAdapter(a *etcdadapter.Adapter) brokerlock.Adapter { return a }
