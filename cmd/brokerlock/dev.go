package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/internal/etcdlog"
)

const devLong = `Start a single-member etcd in this process for trying brokerlock locally, and
serve until SIGINT or SIGTERM. Its data lives in --data-dir, or in a temporary
directory removed on exit. Not for production: no TLS, no auth, one member.

`

// devReadyTimeout bounds how long the embedded etcd may take to start.
const devReadyTimeout = time.Minute

// devFlags are the flags of dev.
type devFlags struct {
	listen  string
	dataDir string
}

func newDevCmd(a *app) *cobra.Command {
	f := &devFlags{}
	cmd := &cobra.Command{
		Use:     "dev",
		Short:   "Run a local single-member etcd to try brokerlock with",
		Long:    devLong + exitCodesHelp(),
		Example: "  brokerlock dev &\n  brokerlock run demo -- sh -c 'echo token $BROKERLOCK_TOKEN'",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return a.dev(cmd.Context(), f) },
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:2379", "host:port to serve etcd clients on (port 0: any free port)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "etcd's data directory, kept on exit (default: a temporary one, removed on exit)")
	return cmd
}

// listenURL is --listen as an http:// URL.
func (f *devFlags) listenURL() (url.URL, error) {
	raw := f.listen
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Port() == "" || u.Path != "" {
		return url.URL{}, usageErrorf("--listen %q: want host:port, such as 127.0.0.1:2379", f.listen)
	}
	return *u, nil
}

func (a *app) dev(ctx context.Context, f *devFlags) error {
	u, err := f.listenURL()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dir, cleanup, err := f.dir()
	if err != nil {
		return err
	}
	defer cleanup()
	var stopping atomic.Bool
	e, err := startDevEtcd(u, dir, &stopping)
	if err != nil {
		return err
	}
	defer func() {
		stopping.Store(true)
		e.Close()
	}()
	a.printDevBanner(e, dir, f.dataDir == "")
	return a.serveDev(ctx, e)
}

// dir is the data directory and what removes it on exit, if anything.
func (f *devFlags) dir() (string, func(), error) {
	if f.dataDir != "" {
		return f.dataDir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "brokerlock-dev-")
	if err != nil {
		return "", nil, withCode(exitUnavailable, fmt.Errorf("dev: make a data directory: %w", err))
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// startDevEtcd starts the member and waits until it serves clients.
func startDevEtcd(client url.URL, dir string, stopping *atomic.Bool) (*embed.Etcd, error) {
	lg, err := etcdlog.Server(zap.ErrorLevel, stopping) // errors only, quiet on stop
	if err != nil {
		return nil, withCode(exitUnavailable, fmt.Errorf("dev: build etcd's logger: %w", err))
	}
	e, err := embed.StartEtcd(devConfig(client, dir, lg))
	if err != nil {
		return nil, withCode(exitUnavailable, fmt.Errorf("dev: start etcd on %s: %w", client.Host, err))
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, withCode(exitUnavailable, fmt.Errorf("dev: etcd failed while starting: %w", err))
	case <-time.After(devReadyTimeout):
		e.Close()
		return nil, withCode(exitUnavailable, fmt.Errorf("dev: etcd not ready after %v", devReadyTimeout))
	}
}

// devConfig is a single member serving clients on client, with its data in
// dir, logging errors to lg.
func devConfig(client url.URL, dir string, lg *zap.Logger) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "brokerlock-dev", dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:0"} // one member: no peer ever connects
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel, cfg.LogOutputs = "error", []string{"stderr"}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	return cfg
}

// printDevBanner tells where etcd serves and how to try it.
func (a *app) printDevBanner(e *embed.Etcd, dir string, temporary bool) {
	ep := "http://" + e.Clients[0].Addr().String()
	kept := "kept on exit"
	if temporary {
		kept = "removed on exit"
	}
	fmt.Fprintf(a.stdout, "etcd is serving clients at %s (data in %s, %s); stop it with Ctrl-C\n\n", ep, dir, kept)
	fmt.Fprintf(a.stdout, "Try, in another terminal:\n\n  export ETCD_ENDPOINTS=%s\n", ep)
	fmt.Fprintf(a.stdout, "  brokerlock run --ttl 1m demo -- sh -c 'echo \"holding $BROKERLOCK_NAME, token $BROKERLOCK_TOKEN\"; sleep 30'\n")
	fmt.Fprintf(a.stdout, "  brokerlock status demo\n  brokerlock list\n\n")
}

// serveDev waits for a signal, or for etcd to fail.
func (a *app) serveDev(ctx context.Context, e *embed.Etcd) error {
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stdout, "stopping etcd")
		return nil
	case err := <-e.Err():
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return withCode(exitUnavailable, fmt.Errorf("dev: etcd: %w", err))
	}
}
