// Command brokerlock holds brokerlock locks from the shell and shows who
// holds them, like etcdctl and kubectl do for their objects:
//
//	brokerlock run [--ttl 60s] [--timeout 10s] [--keepalive] [--try] NAME -- COMMAND [ARGS...]
//	brokerlock status NAME
//	brokerlock list
//	brokerlock release --force NAME
//	brokerlock dev
//
// Run `brokerlock --help` and `brokerlock COMMAND --help` for the flags,
// the environment and the exit statuses.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs brokerlock with args (without the program name) and returns its
// exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(&app{stdin: stdin, stdout: stdout, stderr: stderr})
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(context.Background())
	report(stderr, cmd, err)
	return codeOf(err)
}

// report prints err, and for usage errors where to find help.
func report(stderr io.Writer, cmd interface{ CommandPath() string }, err error) {
	if err == nil || silent(err) {
		return
	}
	fmt.Fprintf(stderr, "brokerlock: %v\n", err)
	if codeOf(err) == exitUsage && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
}
