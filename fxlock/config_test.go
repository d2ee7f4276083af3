package fxlock_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.uber.org/fx"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/fxlock"
)

// A Config that cannot work fails the app's start with an error wrapping
// ErrInvalidConfig that names the field.
func TestBadConfigFailsStart(t *testing.T) {
	good := fxlock.Config{Endpoints: []string{"127.0.0.1:2379"}}
	for _, tc := range []struct {
		name   string
		change func(*fxlock.Config)
		field  string
	}{
		{"no endpoints", func(c *fxlock.Config) { c.Endpoints = nil }, "Config.Endpoints"},
		{"empty endpoint", func(c *fxlock.Config) { c.Endpoints = append(c.Endpoints, "") }, "Config.Endpoints[1]"},
		{"negative dial timeout", func(c *fxlock.Config) { c.DialTimeout = -time.Second }, "Config.DialTimeout -1s"},
		{"negative keepalive", func(c *fxlock.Config) { c.KeepAliveTimeout = -time.Second }, "Config.KeepAliveTimeout -1s"},
		{"password without user", func(c *fxlock.Config) { c.Password = "secret" }, "Config.Username"},
		{"TLS twice", func(c *fxlock.Config) { c.TLS, c.TLSInfo.TrustedCAFile = &tls.Config{}, "ca.pem" }, "Config.TLS and Config.TLSInfo"},
		{"missing cert files", func(c *fxlock.Config) {
			c.TLSInfo = transport.TLSInfo{CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}
		}, "Config.TLSInfo"},
	} {
		cfg := good
		tc.change(&cfg)
		var bl *brokerlock.BrokerLock
		app := fx.New(fx.NopLogger, fx.Supply(cfg), fxlock.Module, fx.Populate(&bl))
		err := app.Start(t.Context())
		if !errors.Is(err, fxlock.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Start: got error %v, want ErrInvalidConfig naming %q", tc.name, err, tc.field)
		}
		if err == nil {
			_ = app.Stop(t.Context())
		}
	}
}

// ClientConfig fills in the defaults, keeps what is set, and builds TLS
// from a CA file alone, as etcdctl --cacert does.
func TestClientConfig(t *testing.T) {
	got, err := fxlock.Config{Endpoints: []string{"a:2379"}, Username: "u", Password: "p"}.ClientConfig()
	if err != nil {
		t.Fatalf("ClientConfig: got error %v, want nil", err)
	}
	if got.DialTimeout != fxlock.DefaultDialTimeout || got.DialKeepAliveTime != fxlock.DefaultKeepAliveTime ||
		got.DialKeepAliveTimeout != fxlock.DefaultKeepAliveTimeout || got.Username != "u" || got.Password != "p" || got.TLS != nil {
		t.Errorf("defaults: got dial %v, keepalive %v/%v, user %q, password %q, TLS %v; want %v, %v/%v, u, p, nil",
			got.DialTimeout, got.DialKeepAliveTime, got.DialKeepAliveTimeout, got.Username, got.Password, got.TLS,
			fxlock.DefaultDialTimeout, fxlock.DefaultKeepAliveTime, fxlock.DefaultKeepAliveTimeout)
	}
	own := &tls.Config{ServerName: "etcd"}
	got, err = fxlock.Config{Endpoints: []string{"a:2379"}, DialTimeout: time.Second, TLS: own}.ClientConfig()
	if err != nil || got.DialTimeout != time.Second || got.TLS != own {
		t.Errorf("set fields: got dial %v, TLS %p, error %v; want 1s, %p, nil", got.DialTimeout, got.TLS, err, own)
	}
	got, err = fxlock.Config{Endpoints: []string{"a:2379"}, TLSInfo: transport.TLSInfo{TrustedCAFile: writeCA(t)}}.ClientConfig()
	if err != nil || got.TLS == nil || got.TLS.RootCAs == nil {
		t.Errorf("TLSInfo with a CA file: got TLS %v, error %v; want a config trusting the CA", got.TLS, err)
	}
}

// writeCA writes a self-signed CA certificate to a PEM file and returns
// its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fxlock test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// An item with invalid options fails the app's start, not its first call.
func TestInvalidItemFailsStart(t *testing.T) {
	var lock criticalLock
	app := fx.New(fx.NopLogger, fx.Supply(config(t)), fxlock.Module,
		fxlock.ProvideItem[criticalLock]("job", brokerlock.Options{TTL: -time.Second}), fx.Populate(&lock))
	err := app.Start(t.Context())
	if !errors.Is(err, brokerlock.ErrInvalid) || !strings.Contains(err.Error(), "Options.TTL") {
		t.Errorf("Start with an invalid item: got error %v, want ErrInvalid naming Options.TTL", err)
	}
	if err == nil {
		_ = app.Stop(t.Context())
	}
}
