package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"strings"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"golang.org/x/term"
)

// tlsConfig is the client's TLS configuration from --cacert, --cert and
// --key; nil when none is set (https:// endpoints then verify with the
// system's CAs).
func (f *connFlags) tlsConfig() (*tls.Config, error) {
	if f.cacert == "" && f.cert == "" && f.key == "" {
		return nil, nil
	}
	if (f.cert == "") != (f.key == "") {
		return nil, usageErrorf("--cert %q and --key %q: give both or neither", f.cert, f.key)
	}
	info := transport.TLSInfo{CertFile: f.cert, KeyFile: f.key, TrustedCAFile: f.cacert}
	cfg, err := info.ClientConfig()
	if err != nil {
		return nil, usageErrorf("TLS from --cacert %q --cert %q --key %q: %w", f.cacert, f.cert, f.key, err)
	}
	return cfg, nil
}

// passwordEnv are the variables a --user without password is completed from.
var passwordEnv = []string{"ETCDCTL_PASSWORD", "BROKERLOCK_PASSWORD"}

// credentials splits --user into name and password; a missing password
// comes from the environment or the terminal.
func (a *app) credentials() (user, password string, err error) {
	if a.conn.user == "" {
		return "", "", nil
	}
	user, password, found := strings.Cut(a.conn.user, ":")
	switch {
	case user == "":
		return "", "", usageErrorf("--user: want NAME or NAME:PASSWORD, got an empty name")
	case found:
		return user, password, nil
	}
	for _, env := range passwordEnv {
		if p := os.Getenv(env); p != "" {
			return user, p, nil
		}
	}
	return a.askPassword(user)
}

// askPassword reads user's password from the terminal without echo.
func (a *app) askPassword(user string) (string, string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", "", usageErrorf("--user %q: no password: give --user %s:PASSWORD, set %s, or run on a terminal to be asked",
			user, user, strings.Join(passwordEnv, " or "))
	}
	fmt.Fprintf(a.stderr, "Password for %s: ", user)
	p, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", "", usageErrorf("--user %q: read password: %w", user, err)
	}
	return user, string(p), nil
}
