package main

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// config is what the pod's environment sets.
type config struct {
	Client   clientv3.Config
	Identity string // the pod's name: who holds the lock, in its key's value
	Prefix   string // every key of this program is under it
}

// configFromEnv reads
//
//	ETCD_ENDPOINTS                  comma-separated, required, e.g. https://etcd-0.etcd:2379,https://etcd-1.etcd:2379
//	ETCD_CACERT, ETCD_CERT, ETCD_KEY paths of PEM files mounted from a Secret: the CA that signed
//	                                the servers' certificates, and this client's certificate and key
//	                                (all optional; none for plain http)
//	ETCD_USERNAME, ETCD_PASSWORD    etcd auth by password (optional; with a client certificate,
//	                                etcd can take the user name from its CN instead)
//	POD_NAME                        the identity (downward API; default: the host name, which is
//	                                the pod name on Kubernetes)
//	ETCD_PREFIX                     the key prefix, default "leader-job/"
func configFromEnv(getenv func(string) string) (config, error) {
	endpoints := getenv("ETCD_ENDPOINTS")
	if endpoints == "" {
		return config{}, errors.New("ETCD_ENDPOINTS is not set")
	}
	tlsCfg, err := tlsConfig(getenv("ETCD_CACERT"), getenv("ETCD_CERT"), getenv("ETCD_KEY"))
	if err != nil {
		return config{}, err
	}
	hostname, _ := os.Hostname()
	return config{
		Client: clientv3.Config{
			Endpoints:   strings.Split(endpoints, ","),
			DialTimeout: 5 * time.Second,
			// gRPC keepalive: a connection to a member whose node vanished
			// without a reset is closed within seconds instead of swallowing
			// requests and watches.
			DialKeepAliveTime:    5 * time.Second,
			DialKeepAliveTimeout: 2 * time.Second,
			TLS:                  tlsCfg,
			Username:             getenv("ETCD_USERNAME"),
			Password:             getenv("ETCD_PASSWORD"),
		},
		Identity: cmp.Or(getenv("POD_NAME"), hostname, "leader-job"),
		Prefix:   cmp.Or(getenv("ETCD_PREFIX"), "leader-job/"),
	}, nil
}

// LockPrefix is the adapter's prefix: the lock is under LockPrefix()+"leader-job/".
func (c config) LockPrefix() string { return c.Prefix + "locks/" }

// HeartbeatKey is where the job writes.
func (c config) HeartbeatKey() string { return c.Prefix + "heartbeat" }

// tlsConfig builds the client's TLS from PEM files, or returns nil when
// no path is set. The certificate and key are read again at every
// handshake, so a renewed Secret (cert-manager) is picked up without a
// restart.
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("etcd TLS: set both ETCD_CERT and ETCD_KEY, or neither (cert %q, key %q)", certFile, keyFile)
	}
	info := transport.TLSInfo{TrustedCAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	cfg, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd TLS: %w", err)
	}
	return cfg, nil
}
