// Command fx is Deepkit's "use in an app" example with go.uber.org/fx as
// the DI container: fxlock.Module puts the BrokerLock into the container
// (Deepkit's FrameworkModule), fxlock.ProvideItem turns it into the
// service's own lock type MyCriticalLock (Deepkit's provide<MyCriticalLock>),
// and the Service gets that lock through its constructor.
//
//	go run ./examples/fx                          # starts an embedded etcd
//	ETCD_ENDPOINTS=127.0.0.1:2379 go run ./examples/fx
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/brokerlock/brokerlock/fxlock"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

// keyPrefix is where the example keeps its locks and its run counter.
const keyPrefix = "brokerlock-fx-example/"

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "fx:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	endpoints, stop, err := etcdEndpoints(os.Stdout)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return run(ctx, fxlock.Config{Endpoints: endpoints, Prefix: keyPrefix + "locks/"}, os.Stdout)
}

// run starts the app, has its Service do the critical work once, and
// stops the app, which releases whatever the app still holds.
func run(ctx context.Context, cfg fxlock.Config, out io.Writer) error {
	var svc *Service
	app := fx.New(fx.NopLogger, appOptions(cfg), fx.Populate(&svc))
	if err := app.Start(ctx); err != nil {
		return err
	}
	runs, err := svc.DoSomethingCritical(ctx)
	if err == nil {
		fmt.Fprintf(out, "did something critical: run %d, no other replica ran it at the same time\n", runs)
	}
	return errors.Join(err, app.Stop(ctx))
}

// etcdEndpoints uses ETCD_ENDPOINTS, or starts an embedded etcd.
func etcdEndpoints(out io.Writer) ([]string, func(), error) {
	if env := os.Getenv("ETCD_ENDPOINTS"); env != "" {
		fmt.Fprintf(out, "using ETCD_ENDPOINTS=%s\n", env)
		return strings.Split(env, ","), func() {}, nil
	}
	e, err := testutil.StartEtcd()
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "started an embedded etcd at %s (set ETCD_ENDPOINTS to use yours)\n", e.Endpoints()[0])
	return e.Endpoints(), e.Stop, nil
}
