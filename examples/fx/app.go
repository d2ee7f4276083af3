package main

import (
	"time"

	"go.uber.org/fx"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/fxlock"
)

// MyCriticalLock is the lock the Service needs; its own type tells fx
// which lock to hand over (Deepkit: type MyCriticalLock = BrokerLockItem).
type MyCriticalLock struct{ *brokerlock.Item }

// appOptions are the app's providers, as in Deepkit's
// new App({providers: [...], imports: [new FrameworkModule()]}).
func appOptions(cfg fxlock.Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg),
		fxlock.Module,
		fxlock.ProvideItem[MyCriticalLock]("my-critical-lock",
			brokerlock.Options{TTL: 60 * time.Second, Timeout: 10 * time.Second}),
		fx.Provide(NewService),
	)
}
