// Package fxlock plugs brokerlock into a go.uber.org/fx application, as
// Deepkit's FrameworkModule puts BrokerLock into its DI container.
//
// Module turns a Config that the application supplies (fx.Supply) into
// an etcd client, an etcdadapter.Adapter (also provided as
// brokerlock.Adapter) and a *brokerlock.BrokerLock, and ties them to the
// application's lifecycle: when the application stops, the adapter is
// closed first, which ends its holds and removes their keys, then the
// client. A bad Config fails the application's start with an error
// wrapping ErrInvalidConfig that names the field. Services do not take
// the BrokerLock itself but a lock item of a type of their own, such as
// type MyCriticalLock struct{ *brokerlock.Item }, which ProvideItem
// provides: the Go form of Deepkit's provide<MyCriticalLock>(...). Each
// such type is one named lock, so two services can ask for two locks
// without fx confusing them.
package fxlock
