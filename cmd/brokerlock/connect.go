package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Defaults of the connection flags.
const (
	defaultEndpoints      = "127.0.0.1:2379"
	defaultDialTimeout    = "5s"
	defaultCommandTimeout = "5s"
	// gRPC keep-alive pings on the client connection, so that a dead
	// connection is noticed while run holds a lock. etcd refuses pings
	// more often than every 5s (its --grpc-keepalive-min-time).
	keepAliveTime    = 5 * time.Second
	keepAliveTimeout = 2 * time.Second
	// maxTimeoutFlag bounds --dial-timeout and --command-timeout.
	maxTimeoutFlag = time.Hour
)

// connFlags are the global flags that say how to reach etcd.
type connFlags struct {
	endpoints      string
	prefix         string
	cacert         string
	cert           string
	key            string
	user           string
	identity       string
	dialTimeout    durationFlag
	commandTimeout durationFlag
}

func (f *connFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoints, "endpoints", defaultEndpoints, "etcd endpoints, comma separated (env ETCD_ENDPOINTS)")
	fs.StringVar(&f.prefix, "prefix", etcdadapter.DefaultPrefix, "etcd key prefix of the locks (env BROKERLOCK_PREFIX)")
	fs.StringVar(&f.cacert, "cacert", "", "verify etcd's certificate with this CA bundle (env ETCDCTL_CACERT)")
	fs.StringVar(&f.cert, "cert", "", "client certificate for etcd (env ETCDCTL_CERT)")
	fs.StringVar(&f.key, "key", "", "client certificate's private key (env ETCDCTL_KEY)")
	fs.StringVar(&f.user, "user", "", "etcd user, NAME or NAME:PASSWORD (env ETCDCTL_USER; password from ETCDCTL_PASSWORD or BROKERLOCK_PASSWORD, else asked on the terminal)")
	fs.StringVar(&f.identity, "identity", "", `how this process names itself to "status" and "list" (env BROKERLOCK_IDENTITY; default hostname/pid)`)
	f.dialTimeout = durationFlag{name: "dial-timeout", raw: defaultDialTimeout}
	fs.Var(&f.dialTimeout, "dial-timeout", "how long to try to reach etcd")
	f.commandTimeout = durationFlag{name: "command-timeout", raw: defaultCommandTimeout}
	fs.Var(&f.commandTimeout, "command-timeout", "bound of status, list and release's requests")
}

// fromEnv sets *v from the first non-empty environment variable of names
// unless flag name was given on the command line.
func fromEnv(cmd *cobra.Command, name string, v *string, names ...string) {
	if cmd.Flags().Changed(name) {
		return
	}
	for _, n := range names {
		if s := os.Getenv(n); s != "" {
			*v = s
			return
		}
	}
}

// resolve fills the flags not given from the environment.
func (f *connFlags) resolve(cmd *cobra.Command) {
	fromEnv(cmd, "endpoints", &f.endpoints, "ETCD_ENDPOINTS", "ETCDCTL_ENDPOINTS")
	fromEnv(cmd, "prefix", &f.prefix, "BROKERLOCK_PREFIX")
	fromEnv(cmd, "cacert", &f.cacert, "ETCDCTL_CACERT", "ETCD_CACERT")
	fromEnv(cmd, "cert", &f.cert, "ETCDCTL_CERT", "ETCD_CERT")
	fromEnv(cmd, "key", &f.key, "ETCDCTL_KEY", "ETCD_KEY")
	fromEnv(cmd, "user", &f.user, "ETCDCTL_USER")
	fromEnv(cmd, "identity", &f.identity, "BROKERLOCK_IDENTITY")
}

// endpointList splits --endpoints.
func (f *connFlags) endpointList() ([]string, error) {
	var eps []string
	for ep := range strings.SplitSeq(f.endpoints, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return nil, usageErrorf("--endpoints %q: want at least one host:port or URL", f.endpoints)
	}
	return eps, nil
}

// clientConfig builds the etcd client configuration from the flags.
func (a *app) clientConfig(cmd *cobra.Command) (clientv3.Config, error) {
	f := &a.conn
	f.resolve(cmd)
	eps, err := f.endpointList()
	if err != nil {
		return clientv3.Config{}, err
	}
	dial, err := f.dialTimeout.parse(time.Millisecond, maxTimeoutFlag, "between 1ms and 1h")
	if err != nil {
		return clientv3.Config{}, err
	}
	cfg := clientv3.Config{Endpoints: eps, DialTimeout: dial, Logger: zap.NewNop(),
		DialKeepAliveTime: keepAliveTime, DialKeepAliveTimeout: keepAliveTimeout}
	if cfg.TLS, err = f.tlsConfig(); err != nil {
		return clientv3.Config{}, err
	}
	cfg.Username, cfg.Password, err = a.credentials()
	return cfg, err
}

// conn is an open connection to etcd: the client and an adapter on it.
type conn struct {
	client         *clientv3.Client
	adapter        *etcdadapter.Adapter
	endpoints      []string
	commandTimeout time.Duration
}

// connect opens a connection with the global flags and checks, within
// --dial-timeout, that etcd answers a read of the prefix. Close it.
func (a *app) connect(cmd *cobra.Command) (*conn, error) {
	cfg, err := a.clientConfig(cmd)
	if err != nil {
		return nil, err
	}
	ct, err := a.conn.commandTimeout.parse(time.Millisecond, maxTimeoutFlag, "between 1ms and 1h")
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg) // with --user it logs in, within --dial-timeout
	if err != nil {
		return nil, unreachable(strings.Join(cfg.Endpoints, ","), cfg.DialTimeout, err)
	}
	c := &conn{client: cli, adapter: etcdadapter.New(cli, a.adapterOptions()...),
		endpoints: cfg.Endpoints, commandTimeout: ct}
	if err := c.probe(cmd.Context(), cfg.DialTimeout); err != nil {
		return nil, errors.Join(err, c.close())
	}
	return c, nil
}

// adapterOptions are the adapter's prefix, identity and logger: errors
// only, such as a key that could not be removed.
func (a *app) adapterOptions() []etcdadapter.Option {
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	opts := []etcdadapter.Option{etcdadapter.WithPrefix(a.conn.prefix), etcdadapter.WithLogger(log)}
	if a.conn.identity != "" {
		opts = append(opts, etcdadapter.WithIdentity(a.conn.identity))
	}
	return opts
}

// probe reads one key under the prefix, so that an unreachable etcd, a
// lost quorum or a missing permission is reported as such at once.
func (c *conn) probe(ctx context.Context, timeout time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := c.client.Get(pctx, c.adapter.Prefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded):
		return unreachable(c.endpointText(), timeout, err)
	}
	return c.failed(fmt.Sprintf("read %q", c.adapter.Prefix()), err)
}

// unreachable is the error of an etcd that did not answer within the
// dial timeout, or refused the connection or the login.
func unreachable(endpoints string, timeout time.Duration, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return withCode(exitUnavailable, fmt.Errorf("etcd at %s did not answer within %v (--dial-timeout): %w",
			endpoints, timeout, err))
	}
	return withCode(exitUnavailable, fmt.Errorf("etcd at %s: %w", endpoints, err))
}

// endpointText lists the endpoints for messages.
func (c *conn) endpointText() string { return strings.Join(c.endpoints, ",") }

// request connects, makes the command's requests (do) within
// --command-timeout, and closes; an error of do is etcd's about what.
func (a *app) request(cmd *cobra.Command, what string, do func(context.Context, *conn) error) error {
	c, err := a.connect(cmd)
	if err != nil {
		return err
	}
	defer c.close()
	ctx, cancel := c.commandContext(cmd.Context())
	defer cancel()
	if err := do(ctx, c); err != nil {
		return c.failed(what, err)
	}
	return nil
}

// commandContext bounds one command's requests by --command-timeout.
func (c *conn) commandContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.commandTimeout)
}

// failed wraps an error of etcd's for exit status 69.
func (c *conn) failed(what string, err error) error {
	return withCode(exitUnavailable, fmt.Errorf("%s: etcd at %s: %w", what, c.endpointText(), err))
}

// close closes the adapter (which revokes what it still holds), then the
// client.
func (c *conn) close() error {
	return errors.Join(c.adapter.Close(), c.client.Close())
}
