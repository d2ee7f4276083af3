package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The environment becomes a client with gRPC keepalive, the identity and
// the prefix; TLS is built from the mounted files only when they are set.
func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr bool
		tls     bool // a TLS config trusting the CA
		client  bool // with a client certificate
	}{
		{name: "no endpoints", env: map[string]string{}, wantErr: true},
		{name: "plain", env: map[string]string{"ETCD_ENDPOINTS": "a:2379,b:2379"}},
		{name: "CA only", env: map[string]string{"ETCD_ENDPOINTS": "a:2379", "ETCD_CACERT": ca}, tls: true},
		{name: "mutual TLS", env: map[string]string{"ETCD_ENDPOINTS": "a:2379", "ETCD_CACERT": ca, "ETCD_CERT": cert, "ETCD_KEY": key}, tls: true, client: true},
		{name: "cert without key", env: map[string]string{"ETCD_ENDPOINTS": "a:2379", "ETCD_CACERT": ca, "ETCD_CERT": cert}, wantErr: true},
		{name: "missing file", env: map[string]string{"ETCD_ENDPOINTS": "a:2379", "ETCD_CACERT": filepath.Join(dir, "none.crt")}, wantErr: true},
		{name: "key is not a key", env: map[string]string{"ETCD_ENDPOINTS": "a:2379", "ETCD_CERT": cert, "ETCD_KEY": ca}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["POD_NAME"] = "leader-job-7d9f-x2k4p"
			cfg, err := configFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				if err == nil {
					t.Fatal("got no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Client
			if c.DialKeepAliveTime != 5*time.Second || c.DialKeepAliveTimeout != 2*time.Second {
				t.Errorf("keepalive %v/%v, want 5s/2s", c.DialKeepAliveTime, c.DialKeepAliveTimeout)
			}
			if want := strings.Split(tc.env["ETCD_ENDPOINTS"], ","); !slices.Equal(c.Endpoints, want) {
				t.Errorf("endpoints %q, want %q", c.Endpoints, want)
			}
			if cfg.Identity != "leader-job-7d9f-x2k4p" || cfg.LockPrefix() != "leader-job/locks/" {
				t.Errorf("identity %q, lock prefix %q", cfg.Identity, cfg.LockPrefix())
			}
			if got := c.TLS != nil && c.TLS.RootCAs != nil; got != tc.tls {
				t.Errorf("TLS trusting the CA: %v, want %v", got, tc.tls)
			}
			if got := c.TLS != nil && c.TLS.GetClientCertificate != nil; got != tc.client {
				t.Errorf("client certificate: %v, want %v", got, tc.client)
			}
		})
	}
}

// writeCerts writes a CA and a client certificate and key signed by it,
// as a Secret would mount them, and returns their paths.
func writeCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leader-job"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, caTmpl, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o400); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return write("ca.crt", "CERTIFICATE", caDER), write("tls.crt", "CERTIFICATE", clientDER), write("tls.key", "PRIVATE KEY", keyDER)
}
