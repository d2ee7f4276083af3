package testutil

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

const (
	// scheme is the URL scheme of every client and peer URL. Only plain
	// HTTP is built today; a TLS option would switch this to "https" and
	// fill embed.Config.ClientTLSInfo/PeerTLSInfo and clientv3.Config.TLS
	// in embedConfig and clientConfig below.
	scheme = "http"
	// loopback is the only address servers listen on.
	loopback = "127.0.0.1"
	// dialTimeout is the DialTimeout of every client made here.
	dialTimeout = 5 * time.Second
	// readyTimeout bounds how long a server may take to become ready.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds how long a stopped server may take to report done.
	stopTimeout = 30 * time.Second
	// logLevel is the level of the servers' and clients' zap loggers.
	logLevel = "error"
)

// memberSpec is everything needed to (re)build one member's embed.Config.
// Its ports and data dir stay fixed across restarts.
type memberSpec struct {
	name           string
	dir            string
	clientURL      url.URL
	peerURL        url.URL
	initialCluster string // "name=peerURL,..."; empty for a single member
	clusterToken   string // the same for all members of one cluster
}

// newMemberSpec returns the spec of member name in dir on the given ports.
func newMemberSpec(name, dir string, clientPort, peerPort int) memberSpec {
	return memberSpec{
		name:         name,
		dir:          dir,
		clientURL:    loopbackURL(clientPort),
		peerURL:      loopbackURL(peerPort),
		clusterToken: "testutil-" + name,
	}
}

// loopbackURL returns scheme://127.0.0.1:port.
func loopbackURL(port int) url.URL {
	return url.URL{Scheme: scheme, Host: fmt.Sprintf("%s:%d", loopback, port)}
}

// initialCluster returns the --initial-cluster value for specs.
func initialCluster(specs []memberSpec) string {
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = s.name + "=" + s.peerURL.String()
	}
	return strings.Join(parts, ",")
}

// embedConfig builds a fresh embed.Config for s that logs to lg. A fresh one
// is built for every start because embed keeps per-run state in it. A
// restart uses the same settings, including ClusterState "new": once the
// member's WAL exists etcd ignores the initial cluster settings.
func (s memberSpec) embedConfig(lg *zap.Logger) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = s.name
	cfg.Dir = s.dir
	cfg.ListenClientUrls = []url.URL{s.clientURL}
	cfg.AdvertiseClientUrls = []url.URL{s.clientURL}
	cfg.ListenPeerUrls = []url.URL{s.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{s.peerURL}
	cfg.InitialCluster = s.initialCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = cfg.InitialClusterFromName(s.name)
	}
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.InitialClusterToken = s.clusterToken
	cfg.Logger = "zap"
	cfg.LogLevel = logLevel
	cfg.LogOutputs = []string{"stderr"}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	return cfg
}

// clientConfig returns the configuration of a client to endpoints.
func clientConfig(endpoints []string) clientv3.Config {
	return clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: dialTimeout,
		Logger:      clientLogger(),
	}
}

// newClient returns a new client to endpoints.
func newClient(endpoints []string) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientConfig(endpoints))
	if err != nil {
		return nil, fmt.Errorf("testutil: new etcd client to %v: %w", endpoints, err)
	}
	return cli, nil
}
