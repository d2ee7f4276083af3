package fxlock

import (
	"crypto/tls"
	"fmt"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

// Config is what Module needs to reach etcd. Supply it with fx.Supply, or
// provide it from your own configuration loader. Only Endpoints is
// required.
type Config struct {
	// Endpoints are the etcd members' client URLs, e.g.
	// []string{"10.0.0.5:2379"} or "https://etcd-0:2379".
	Endpoints []string
	// Prefix is the key prefix of every lock; default
	// etcdadapter.DefaultPrefix. Give each application its own.
	Prefix string
	// Identity names this process in its keys (Inspect, `brokerlock
	// status`); default "hostname/pid". A pod name is a good choice.
	Identity string
	// DialTimeout bounds the first connection; default 5s.
	DialTimeout time.Duration
	// KeepAliveTime and KeepAliveTimeout are the gRPC keepalive of the
	// client's connections (clientv3.Config.DialKeepAliveTime and
	// DialKeepAliveTimeout); default 5s and 2s, so that a member that
	// vanished without a reset is noticed within seconds.
	KeepAliveTime    time.Duration
	KeepAliveTimeout time.Duration
	// Username and Password log in with etcd auth; both or neither.
	Username string
	Password string
	// TLS is the client's TLS configuration; or set TLSInfo to build it
	// from files, as etcdctl's --cacert, --cert and --key do
	// (TrustedCAFile, CertFile, KeyFile; also ServerName and
	// InsecureSkipVerify). At most one of the two.
	TLS     *tls.Config
	TLSInfo transport.TLSInfo
	// Logger is the client's logger; nil means etcd's default.
	Logger *zap.Logger
	// AdapterOptions are more etcdadapter options, e.g. WithLogger;
	// applied after Prefix and Identity.
	AdapterOptions []etcdadapter.Option
}

// Defaults of Config.
const (
	DefaultDialTimeout      = 5 * time.Second
	DefaultKeepAliveTime    = 5 * time.Second
	DefaultKeepAliveTimeout = 2 * time.Second
)

// ClientConfig checks c and returns the etcd client configuration it
// describes, with the defaults filled in. Errors wrap ErrInvalidConfig
// and name the field.
func (c Config) ClientConfig() (clientv3.Config, error) {
	if err := c.validate(); err != nil {
		return clientv3.Config{}, err
	}
	tlsConfig, err := c.tlsConfig()
	if err != nil {
		return clientv3.Config{}, err
	}
	return clientv3.Config{
		Endpoints:            c.Endpoints,
		DialTimeout:          orDefault(c.DialTimeout, DefaultDialTimeout),
		DialKeepAliveTime:    orDefault(c.KeepAliveTime, DefaultKeepAliveTime),
		DialKeepAliveTimeout: orDefault(c.KeepAliveTimeout, DefaultKeepAliveTimeout),
		Username:             c.Username,
		Password:             c.Password,
		TLS:                  tlsConfig,
		Logger:               c.Logger,
	}, nil
}

// adapterOptions are the etcdadapter options c describes.
func (c Config) adapterOptions() []etcdadapter.Option {
	var opts []etcdadapter.Option
	if c.Prefix != "" {
		opts = append(opts, etcdadapter.WithPrefix(c.Prefix))
	}
	if c.Identity != "" {
		opts = append(opts, etcdadapter.WithIdentity(c.Identity))
	}
	return append(opts, c.AdapterOptions...)
}

// tlsConfig returns TLS, or the configuration TLSInfo builds, or nil.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.tlsInfoSet() {
		return c.TLS, nil
	}
	cfg, err := c.TLSInfo.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: Config.TLSInfo (cert %q, key %q, CA %q): %w",
			ErrInvalidConfig, c.TLSInfo.CertFile, c.TLSInfo.KeyFile, c.TLSInfo.TrustedCAFile, err)
	}
	return cfg, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// tlsInfoSet reports whether TLSInfo asks for TLS. TLSInfo.Empty looks
// at the client certificate only, which server-verified TLS without one
// (a CA file alone) does not have.
func (c Config) tlsInfoSet() bool {
	i := c.TLSInfo
	return i.CertFile != "" || i.KeyFile != "" || i.TrustedCAFile != "" || i.ServerName != "" || i.InsecureSkipVerify
}
