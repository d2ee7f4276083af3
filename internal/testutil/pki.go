package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// certValidity is how long the certificates WritePKI makes are valid.
const certValidity = time.Hour

// TLSFiles names the PEM files of a throwaway PKI made by WritePKI: one CA
// that signed a server certificate for 127.0.0.1 and localhost and a
// client certificate.
type TLSFiles struct {
	CA         string // the CA's certificate, which both sides trust
	ServerCert string
	ServerKey  string
	ClientCert string // common name ClientCommonName
	ClientKey  string
}

// ClientCommonName is the subject common name of WritePKI's client
// certificate. etcd takes it as the user name when auth is enabled.
const ClientCommonName = "brokerlock-test-client"

// ServerTLSInfo is the server side: it presents the server certificate and
// accepts only clients with a certificate signed by the CA.
func (f TLSFiles) ServerTLSInfo() transport.TLSInfo {
	return transport.TLSInfo{CertFile: f.ServerCert, KeyFile: f.ServerKey,
		TrustedCAFile: f.CA, ClientCertAuth: true}
}

// ClientTLSInfo is a client that trusts the CA and presents the client
// certificate.
func (f TLSFiles) ClientTLSInfo() transport.TLSInfo {
	return transport.TLSInfo{CertFile: f.ClientCert, KeyFile: f.ClientKey, TrustedCAFile: f.CA}
}

// WritePKI generates a CA, a server and a client certificate (ECDSA
// P-256, valid for an hour) and writes them to a directory of t's that is
// removed when the test ends.
func WritePKI(t testing.TB) TLSFiles {
	t.Helper()
	files, err := writePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// writePKI does the work of WritePKI in dir.
func writePKI(dir string) (TLSFiles, error) {
	ca, caKey, err := issue(caTemplate(), nil, nil)
	if err != nil {
		return TLSFiles{}, err
	}
	f := TLSFiles{CA: filepath.Join(dir, "ca.pem")}
	if err := writePEM(f.CA, "CERTIFICATE", ca.Raw); err != nil {
		return TLSFiles{}, err
	}
	f.ServerCert, f.ServerKey, err = writeLeaf(dir, "server", serverTemplate(), ca, caKey)
	if err != nil {
		return TLSFiles{}, err
	}
	f.ClientCert, f.ClientKey, err = writeLeaf(dir, "client", clientTemplate(), ca, caKey)
	return f, err
}

// writeLeaf issues a certificate from tmpl signed by ca and writes it and
// its key to dir/name.pem and dir/name-key.pem.
func writeLeaf(dir, name string, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (cert, key string, err error) {
	c, k, err := issue(tmpl, ca, caKey)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return "", "", fmt.Errorf("testutil: marshal %s key: %w", name, err)
	}
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := writePEM(cert, "CERTIFICATE", c.Raw); err != nil {
		return "", "", err
	}
	return cert, key, writePEM(key, "EC PRIVATE KEY", der)
}

// issue makes a new P-256 key and a certificate for it from tmpl, signed
// by parent with parentKey, or self-signed when parent is nil.
func issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("testutil: generate key: %w", err)
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)); err != nil {
		return nil, nil, fmt.Errorf("testutil: serial number: %w", err)
	}
	tmpl.NotBefore = time.Now().Add(-time.Minute) // tolerate a little clock skew
	tmpl.NotAfter = time.Now().Add(certValidity)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testutil: create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("testutil: parse certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return cert, key, nil
}

func caTemplate() *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: "brokerlock test CA"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

// serverTemplate also allows client auth: etcd's gRPC gateway dials the
// server with the server's own certificate.
func serverTemplate() *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "brokerlock test etcd"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP(loopback), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
}

func clientTemplate() *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: ClientCommonName},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// writePEM writes one PEM block of type typ to path, readable by the
// owner only.
func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("testutil: write %s: %w", path, err)
	}
	return nil
}
