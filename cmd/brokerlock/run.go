package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const runLong = `Run COMMAND while holding the lock NAME, as flock(1) and 'etcdctl lock NAME
COMMAND' do: wait for the lock (in FIFO order with every other waiter), run the
command with brokerlock's standard input, output and error, and release the
lock when it exits. Durations take Go's form ("90s", "1h30m") or Deepkit's
("60s", "2 minutes", "1d").

With -n N the command holds one of N permits of the semaphore NAME instead: at
most N commands run at once, admitted in FIFO order (every process must use the
same N). With --shared it holds NAME as a reader (flock -s): readers run
together, a plain run is a writer (flock -x) and runs alone, and readers that
come after a waiting writer wait behind it.

The command's environment has, besides brokerlock's own:

  BROKERLOCK_NAME   the lock's name
  BROKERLOCK_KEY    the holder's etcd key
  BROKERLOCK_TOKEN  the fencing token: greater for every later holder
  ETCD_LOCK_KEY, ETCD_LOCK_REV
                    the key and the token again, under the names etcdctl lock uses

SIGINT, SIGTERM and SIGHUP sent to brokerlock are passed on to the command
(SIGINT only when brokerlock is not in the foreground of a terminal: there
Ctrl-C reaches the command directly); the lock is released once it exits.
While waiting for the lock, they make brokerlock give up.

Without --keepalive the lock lasts --ttl from when it was acquired, even if the
command still runs. The lock is lost then, or when its key is deleted
('brokerlock release --force') or etcd cannot be reached for too long: the
command gets SIGTERM, SIGKILL after --grace, and brokerlock exits 70.

`

const runExample = `  # one nightly report at a time, across every machine; skip if one runs
  brokerlock run --ttl 10m --keepalive --try nightly-report -- /scripts/report.sh

  # wait up to 30s for the lock, then migrate; the lock lasts at most 5 minutes
  brokerlock run --timeout 30s --ttl "5 minutes" migrate -- ./migrate up

  # at most 3 migrations at once, across every machine
  brokerlock run -n 3 --keepalive migrate -- ./migrate-one-tenant "$TENANT"

  # many readers of the snapshot, one writer that replaces it
  brokerlock run --shared snapshot -- ./read-snapshot
  brokerlock run snapshot -- ./replace-snapshot

  # guard writes with the fencing token
  brokerlock run deploy -- sh -c 'deploy --fencing-token "$BROKERLOCK_TOKEN"'`

// runFlags are the flags of the run command.
type runFlags struct {
	ttl       durationFlag
	timeout   durationFlag
	grace     durationFlag
	keepAlive bool
	try       bool
	label     string
	permits   int  // -n: a permit of a Semaphore of this limit
	shared    bool // --shared: an RWLock reader
}

// runSpec is a validated run (or elect) command line.
type runSpec struct {
	name    string
	command []string
	opts    brokerlock.Options
	try     bool
	grace   time.Duration
	limit   int  // run -n: a Semaphore permit
	shared  bool // run --shared: an RWLock reader

	election bool                       // elect: lead election name with value
	value    string                     // elect: the candidate's value
	eopts    brokerlock.ElectionOptions // elect
}

// what names what the command runs under, for messages.
func (s runSpec) what() string {
	if s.election {
		return fmt.Sprintf("leadership of election %q", s.name)
	}
	return fmt.Sprintf("lock %q", s.name)
}

func newRunCmd(a *app) *cobra.Command {
	f := &runFlags{ttl: durationFlag{name: "ttl", raw: "2m"}, timeout: durationFlag{name: "timeout", raw: "30s"},
		grace: durationFlag{name: "grace", raw: "10s"}}
	cmd := &cobra.Command{
		Use:     "run [flags] NAME -- COMMAND [ARGS...]",
		Short:   "Hold a lock while a command runs",
		Long:    runLong + exitCodesHelp(),
		Example: runExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := f.spec(cmd, args)
			if err != nil {
				return err
			}
			return a.runLocked(cmd, spec)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%w (the command and its flags go after --: run NAME -- COMMAND [ARGS...])", err)
	})
	fs := cmd.Flags()
	fs.Var(&f.ttl, "ttl", "the lock's lifetime; with --keepalive how long a vanished holder blocks others")
	fs.Var(&f.timeout, "timeout", "longest wait for the lock (exit 124); 0 waits without limit")
	fs.BoolVar(&f.keepAlive, "keepalive", false, "renew the lock while the command runs, so it lasts until the command exits")
	fs.BoolVar(&f.try, "try", false, "do not wait: exit 75 without running the command if someone holds the lock")
	fs.StringVar(&f.label, "label", "", `what the command does, shown by "status" and "list"`)
	fs.IntVarP(&f.permits, "permits", "n", 0, "hold one of N permits of a semaphore: at most N commands run at once")
	fs.BoolVar(&f.shared, "shared", false, "hold the lock shared, as a reader (flock -s): readers run together, a plain run is a writer")
	fs.Var(&f.grace, "grace", "after losing the lock, how long the command has between SIGTERM and SIGKILL")
	return cmd
}

// spec validates the command line.
func (f *runFlags) spec(cmd *cobra.Command, args []string) (runSpec, error) {
	name, command, err := splitRunArgs(cmd.ArgsLenAtDash(), args)
	if err != nil {
		return runSpec{}, err
	}
	opts, err := f.options()
	if err != nil {
		return runSpec{}, err
	}
	grace, err := f.grace.parse(0, brokerlock.MaxTTL, fmt.Sprintf("between 0s and %v", brokerlock.MaxTTL))
	if err != nil {
		return runSpec{}, err
	}
	switch {
	case cmd.Flags().Changed("permits") && f.permits < 1:
		return runSpec{}, usageErrorf("-n %d: want at least 1 permit", f.permits)
	case f.permits > 0 && f.shared:
		return runSpec{}, usageErrorf("-n and --shared: want one of them (a semaphore permit or a reader)")
	}
	return runSpec{name: name, command: command, opts: opts, try: f.try, grace: grace, limit: f.permits, shared: f.shared}, nil
}

// splitRunArgs splits NAME [--] COMMAND [ARGS...]; dash is the number of
// arguments before "--", or -1 without it.
func splitRunArgs(dash int, args []string) (string, []string, error) {
	switch {
	case len(args) == 0:
		return "", nil, usageErrorf("run: missing NAME and COMMAND: want NAME -- COMMAND [ARGS...]")
	case dash == 0 || dash > 1:
		return "", nil, usageErrorf("run: want exactly one NAME before --, got %q", args[:max(dash, 0)])
	case args[0] == "":
		return "", nil, usageErrorf("run: NAME %q: want a non-empty name", args[0])
	case len(args) == 1:
		return "", nil, usageErrorf("run: missing COMMAND after NAME %q: want NAME -- COMMAND [ARGS...]", args[0])
	}
	return args[0], args[1:], nil
}

// options are the lock's options from the flags.
func (f *runFlags) options() (brokerlock.Options, error) {
	ttl, err := f.ttl.parse(brokerlock.MinTTL, brokerlock.MaxTTL,
		fmt.Sprintf("between %v and %v", brokerlock.MinTTL, brokerlock.MaxTTL))
	if err != nil {
		return brokerlock.Options{}, err
	}
	timeout, err := f.timeout.parse(0, brokerlock.MaxTimeout, "0 (no limit) or more")
	if err != nil {
		return brokerlock.Options{}, err
	}
	if timeout == 0 {
		timeout = -1 // brokerlock.Options: negative waits without limit
	}
	opts := brokerlock.Options{TTL: ttl, Timeout: timeout, KeepAlive: f.keepAlive, Label: f.label}
	if err := opts.Validate(); err != nil {
		return brokerlock.Options{}, usageErrorf("--label %.40q: %w", f.label, err)
	}
	return opts, nil
}

// withSignals connects, with the signals that stop a waiting or running
// command caught (see notifySignals), runs fn, and closes.
func (a *app) withSignals(cmd *cobra.Command, fn func(c *conn, sigs <-chan os.Signal) error) error {
	sigs := notifySignals()
	defer stopSignals(sigs)
	c, err := a.connect(cmd)
	if err != nil {
		return err
	}
	defer c.close()
	return fn(c, sigs)
}

// runLocked acquires the lock, runs the command and releases the lock.
func (a *app) runLocked(cmd *cobra.Command, spec runSpec) error {
	return a.withSignals(cmd, func(c *conn, sigs <-chan os.Signal) error { return a.runHolding(cmd, c, spec, sigs) })
}

// runHolding is runLocked once connected.
func (a *app) runHolding(cmd *cobra.Command, c *conn, spec runSpec, sigs <-chan os.Signal) error {
	h, sig, err := holdUnlessSignalled(cmd.Context(), spec.holder(brokerlock.New(c.adapter)), sigs)
	switch {
	case sig != nil:
		return withCode(exitSignalBase+signalNumber(sig),
			fmt.Errorf("got %v while waiting for lock %q: gave up", sig, spec.name))
	case err != nil:
		return a.acquireFailed(cmd.Context(), c, spec, err)
	}
	return a.runHeld(cmd.Context(), heldLock(h), spec, sigs)
}

// holder is how spec takes its hold: a lock, a semaphore permit (-n) or
// a reader (--shared); at once or not at all with --try.
func (spec runSpec) holder(bl *brokerlock.BrokerLock) func(context.Context) (*brokerlock.Hold, error) {
	switch {
	case spec.limit > 0:
		s := bl.Semaphore(spec.name, spec.limit, spec.opts)
		return pick(spec.try, s.TryHold, s.Hold)
	case spec.shared:
		rw := bl.RWLock(spec.name, spec.opts)
		return pick(spec.try, rw.TryRHold, rw.RHold)
	}
	it := bl.Item(spec.name, spec.opts)
	return pick(spec.try, it.TryHold, it.Hold)
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

// holdUnlessSignalled is hold, given up when a signal arrives; then it
// returns the signal (and holds nothing).
func holdUnlessSignalled(ctx context.Context, hold func(context.Context) (*brokerlock.Hold, error), sigs <-chan os.Signal) (*brokerlock.Hold, os.Signal, error) {
	return unlessSignalled(ctx, sigs, hold,
		func(ctx context.Context, h *brokerlock.Hold) { _ = release(ctx, h.Release) })
}

// unlessSignalled runs get, given up when a signal arrives: then it
// returns the signal, and undoes what get got just as the signal came.
func unlessSignalled[T any](ctx context.Context, sigs <-chan os.Signal,
	get func(context.Context) (T, error), undo func(context.Context, T)) (T, os.Signal, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := get(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, nil, r.err
	case sig := <-sigs:
		cancel()
		var zero T
		if r := <-done; r.err == nil {
			undo(ctx, r.v)
		}
		return zero, sig, nil
	}
}

// acquireFailed turns a failed acquisition into an exit status.
func (a *app) acquireFailed(ctx context.Context, c *conn, spec runSpec, err error) error {
	switch {
	case errors.Is(err, brokerlock.ErrLocked):
		return withCode(exitBusy, fmt.Errorf("lock %q is held by %s: not running %s (--try)",
			spec.name, c.holderOf(ctx, spec.name), commandString(spec.command)))
	case errors.Is(err, brokerlock.ErrTimeout):
		return withCode(exitTimeout, fmt.Errorf("timed out after %v (--timeout) waiting for lock %q, held by %s: not running %s",
			spec.opts.Timeout, spec.name, c.holderOf(ctx, spec.name), commandString(spec.command)))
	case errors.Is(err, brokerlock.ErrInvalid):
		return withCode(exitUsage, err)
	}
	return c.failed(fmt.Sprintf("lock %q", spec.name), err)
}

// holderOf describes lock name's holder, best effort.
func (c *conn) holderOf(ctx context.Context, name string) string {
	ctx, cancel := c.commandContext(ctx)
	defer cancel()
	info, err := c.adapter.Inspect(ctx, name)
	if err != nil || info.Holder == nil {
		return "someone" // released meanwhile, or etcd did not answer
	}
	held := ""
	if at := info.Holder.AcquiredAt; !at.IsZero() {
		held = ", held for " + roundAge(time.Since(at)).String()
	}
	return fmt.Sprintf("%s (token %d%s)", holderName(info.Holder), info.Holder.Token, held)
}

// commandString quotes the command for messages.
func commandString(command []string) string {
	return fmt.Sprintf("%q", strings.Join(command, " "))
}
