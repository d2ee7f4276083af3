package testutil

import (
	"crypto/tls"
	"testing"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
)

// WithTLS makes StartServer write a fresh PKI (see WritePKI) and serve
// clients only over TLS, and only those that present a certificate signed
// by its CA (ClientCertAuth). The peer URL, which no one uses, stays plain.
func WithTLS() ServerOption {
	return func(t testing.TB, s *Server) {
		files := WritePKI(t)
		s.tls = &files
		s.tweak = append(s.tweak, func(cfg *embed.Config) {
			cfg.ClientTLSInfo = files.ServerTLSInfo()
		})
	}
}

// StartEtcdTLS is StartServer(t, WithTLS()).
func StartEtcdTLS(t testing.TB) *Server {
	t.Helper()
	return StartServer(t, WithTLS())
}

// Files returns the PEM files of the server's PKI; zero without WithTLS.
func (s *Server) Files() TLSFiles {
	if s.tls == nil {
		return TLSFiles{}
	}
	return *s.tls
}

// clientTLS returns the client TLS configuration of info; it fails t if
// info's files cannot be loaded.
func clientTLS(t testing.TB, info transport.TLSInfo) *tls.Config {
	t.Helper()
	cfg, err := info.ClientConfig()
	if err != nil {
		t.Fatalf("testutil: client TLS config: %v", err)
	}
	return cfg
}
