package testutil

import (
	"context"
	"fmt"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// RootPassword is the password of the root user that WithAuth creates.
const RootPassword = "testutil-root"

// fastBcryptCost is bcrypt.MinCost. etcd checks a password with bcrypt on
// every Authenticate; at the default cost (10) that takes ~50ms, and over
// 0.5s under the race detector, which would starve tests that log in often.
const fastBcryptCost = 4

// WithAuth makes StartServer enable etcd's auth once the server is up: a
// user root (password RootPassword) with the root role, then AuthEnable.
// From then on every request needs a user: RootClient, UserClient, or
// WithTLS a client certificate whose common name is a user.
func WithAuth() ServerOption {
	return func(t testing.TB, s *Server) {
		s.auth = true
		s.tweak = append(s.tweak, func(cfg *embed.Config) { cfg.BcryptCost = fastBcryptCost })
	}
}

// enableAuth adds the root user and enables auth.
func (s *Server) enableAuth(t testing.TB) {
	t.Helper()
	cli, err := clientv3.New(s.ClientConfig(t))
	if err != nil {
		t.Fatalf("testutil: new etcd client to %v: %v", s.Endpoints(), err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := rootAndEnable(ctx, cli); err != nil {
		t.Fatal(err)
	}
}

// rootAndEnable adds root with the root role and enables auth.
func rootAndEnable(ctx context.Context, cli *clientv3.Client) error {
	if _, err := cli.UserAdd(ctx, "root", RootPassword); err != nil {
		return fmt.Errorf("testutil: add user root: %w", err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		return fmt.Errorf("testutil: grant root the root role: %w", err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		return fmt.Errorf("testutil: enable auth: %w", err)
	}
	return nil
}

// RootClient returns a new client logged in as root, closed when t's test
// finishes.
func (s *Server) RootClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return s.UserClient(t, "root", RootPassword)
}

// UserClient returns a new client logged in as user (it authenticates in
// clientv3.New), closed when t's test finishes.
func (s *Server) UserClient(t testing.TB, user, password string) *clientv3.Client {
	t.Helper()
	cfg := s.ClientConfig(t)
	cfg.Username, cfg.Password = user, password
	return NewClientWith(t, cfg)
}
