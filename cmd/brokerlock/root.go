package main

import (
	"io"

	"github.com/spf13/cobra"
)

// app is one invocation of brokerlock: its standard streams and the
// connection flags every command shares.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	conn   connFlags
}

const rootLong = `brokerlock holds distributed locks on etcd leases from the shell, and shows
who holds them. Its locks are those of the Go library
github.com/brokerlock/brokerlock, etcd's concurrency.Mutex and 'etcdctl lock'
(for names without '/' and '%').

Connection flags take their defaults from the environment, as etcdctl does:

  --endpoints   ETCD_ENDPOINTS or ETCDCTL_ENDPOINTS (comma separated)
  --prefix      BROKERLOCK_PREFIX
  --cacert      ETCDCTL_CACERT or ETCD_CACERT
  --cert        ETCDCTL_CERT or ETCD_CERT
  --key         ETCDCTL_KEY or ETCD_KEY
  --user        ETCDCTL_USER; the password comes after a ':' in it, from
                ETCDCTL_PASSWORD or BROKERLOCK_PASSWORD, or is asked for on
                the terminal
  --identity    BROKERLOCK_IDENTITY

`

// newRootCmd returns the brokerlock command with all its subcommands.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "brokerlock",
		Short:         "Distributed locks on etcd from the shell",
		Long:          rootLong + exitCodesHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(exitUsage, err) })
	a.conn.register(root.PersistentFlags())
	root.AddCommand(newRunCmd(a), newElectCmd(a), newStatusCmd(a), newListCmd(a), newReleaseCmd(a), newDevCmd(a))
	return root
}
