package testutil

import (
	"fmt"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Server is one embedded single-member etcd with settings that Etcd does
// not have: TLS with client certificates (WithTLS), etcd's own users and
// roles (WithAuth), or both. StartServer stops it when its test ends.
type Server struct {
	m     member
	tls   *TLSFiles // nil without WithTLS
	auth  bool
	tweak []func(*embed.Config)
}

// ServerOption is a setting of StartServer.
type ServerOption func(t testing.TB, s *Server)

// StartServer starts a Server with opts on free loopback ports, waits
// until it serves clients (and, WithAuth, enables auth), and stops it when
// t's test finishes.
func StartServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	s := &Server{}
	for _, o := range opts {
		o(t, s)
	}
	if err := s.start(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.m.stop(false); err != nil {
			t.Error(err)
		}
	})
	if s.auth {
		s.enableAuth(t)
	}
	return s
}

// start launches the server in dir on fresh free ports, trying new ports
// when the picked ones were taken before etcd could bind them.
func (s *Server) start(dir string) error {
	var err error
	for range startAttempts {
		var ports []int
		if ports, err = freePorts(2); err != nil {
			return err
		}
		spec := newMemberSpec("server", dir, ports[0], ports[1])
		if s.tls != nil {
			spec.clientURL.Scheme = "https"
		}
		if s.m, err = launchWith(spec, s.tweak); !isAddrInUse(err) {
			break
		}
	}
	if err != nil {
		return err
	}
	return s.m.waitReady(readyTimeout)
}

// launchWith launches a member from spec like member.launch, after the
// tweaks have changed its embed.Config.
func launchWith(spec memberSpec, tweaks []func(*embed.Config)) (member, error) {
	stopping := new(atomic.Bool)
	lg, err := serverLogger(stopping)
	if err != nil {
		return member{}, fmt.Errorf("testutil: build logger: %w", err)
	}
	cfg := spec.embedConfig(lg)
	for _, tweak := range tweaks {
		tweak(cfg)
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return member{}, fmt.Errorf("testutil: start etcd member %s: %w", spec.name, err)
	}
	return member{spec: spec, etcd: e, stopping: stopping}, nil
}

// Endpoints returns the server's client URLs: "http://127.0.0.1:PORT", or
// "https://..." WithTLS.
func (s *Server) Endpoints() []string {
	return []string{s.m.spec.clientURL.String()}
}

// ClientConfig returns ClientConfig(s.Endpoints()), WithTLS with TLS set
// up to trust the server and present the client certificate. It has no
// credentials: with auth, etcd then takes the certificate's common name
// as the user.
func (s *Server) ClientConfig(t testing.TB) clientv3.Config {
	t.Helper()
	cfg := ClientConfig(s.Endpoints())
	if s.tls != nil {
		cfg.TLS = clientTLS(t, s.tls.ClientTLSInfo())
	}
	return cfg
}

// NewClient returns a new client with s.ClientConfig(t), closed when t's
// test finishes.
func (s *Server) NewClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return NewClientWith(t, s.ClientConfig(t))
}
