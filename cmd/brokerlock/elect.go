package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const electLong = `Run COMMAND while leading the election NAME with VALUE, as 'etcdctl elect NAME
VALUE' campaigns: wait until every earlier candidate has resigned or gone (FIFO),
run the command, and resign when it exits, so the next candidate leads at once.
The lease is renewed while waiting and leading; --ttl bounds how long a crashed
or cut-off leader blocks the next one.

With --listen, print who leads NAME now and after every change, one line each:
the leader's value, or "no leader" (-o json: one JSON object a line, with the
key, value and fencing token; null when nobody leads), until interrupted.

Elections are etcd's own: 'etcdctl elect' and concurrency.Election on
PREFIX+NAME take part in them and see their values, both ways.

The command's environment has, besides brokerlock's own:

  BROKERLOCK_NAME   the election's name
  BROKERLOCK_VALUE  the value this leader proclaimed
  BROKERLOCK_KEY    the leader's etcd key
  BROKERLOCK_TOKEN  the term's fencing token: greater for every later term

Signals, the loss of the term (its key deleted, its lease not renewed) and the
exit statuses are those of 'brokerlock run': on a loss the command gets SIGTERM,
SIGKILL after --grace, and brokerlock exits 70.

`

const electExample = `  # one active scheduler at a time; the others wait as hot standbys
  brokerlock elect scheduler "$HOSTNAME" -- ./scheduler --fencing-token-env BROKERLOCK_TOKEN

  # who leads, now and from now on
  brokerlock elect --listen scheduler
  brokerlock elect --listen -o json scheduler | jq -r .value`

// electFlags are the flags of the elect command.
type electFlags struct {
	ttl    durationFlag
	grace  durationFlag
	listen bool
	out    outputFlag
}

func newElectCmd(a *app) *cobra.Command {
	f := &electFlags{ttl: durationFlag{name: "ttl", raw: brokerlock.DefaultElectionTTL.String()},
		grace: durationFlag{name: "grace", raw: "10s"}}
	cmd := &cobra.Command{
		Use:     "elect [flags] NAME VALUE -- COMMAND [ARGS...]\n  brokerlock elect --listen [-o json] NAME",
		Short:   "Lead an election while a command runs, or watch who leads",
		Long:    electLong + exitCodesHelp(),
		Example: electExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.listen {
				return a.listen(cmd, f, args)
			}
			spec, err := f.spec(cmd, args)
			if err != nil {
				return err
			}
			return a.runElected(cmd, spec)
		},
	}
	fs := cmd.Flags()
	fs.Var(&f.ttl, "ttl", "the lease TTL: how long a crashed or cut-off leader blocks the next (at least 1s)")
	fs.Var(&f.grace, "grace", "after losing leadership, how long the command has between SIGTERM and SIGKILL")
	fs.BoolVarP(&f.listen, "listen", "l", false, "print the leader now and on every change, as etcdctl elect -l")
	f.out.register(fs)
	return cmd
}

// spec validates NAME VALUE -- COMMAND and the flags.
func (f *electFlags) spec(cmd *cobra.Command, args []string) (runSpec, error) {
	dash := cmd.ArgsLenAtDash()
	if dash != 2 || len(args) < 3 || args[0] == "" {
		return runSpec{}, usageErrorf("elect: want NAME VALUE -- COMMAND [ARGS...] (or --listen NAME), got %q", args)
	}
	ttl, err := f.ttl.parse(brokerlock.MinElectionTTL, brokerlock.MaxTTL,
		fmt.Sprintf("between %v and %v", brokerlock.MinElectionTTL, brokerlock.MaxTTL))
	if err != nil {
		return runSpec{}, err
	}
	grace, err := f.grace.parse(0, brokerlock.MaxTTL, fmt.Sprintf("between 0s and %v", brokerlock.MaxTTL))
	return runSpec{name: args[0], value: args[1], command: args[2:], grace: grace,
		election: true, eopts: brokerlock.ElectionOptions{TTL: ttl}}, err
}

// runElected campaigns, runs the command while leading, and resigns.
func (a *app) runElected(cmd *cobra.Command, spec runSpec) error {
	return a.withSignals(cmd, func(c *conn, sigs <-chan os.Signal) error { return a.runLeading(cmd, c, spec, sigs) })
}

// runLeading is runElected once connected.
func (a *app) runLeading(cmd *cobra.Command, c *conn, spec runSpec, sigs <-chan os.Signal) error {
	e := brokerlock.New(c.adapter).Election(spec.name, spec.eopts)
	term, sig, err := unlessSignalled(cmd.Context(), sigs,
		func(ctx context.Context) (*brokerlock.Term, error) { return e.Campaign(ctx, spec.value) },
		func(ctx context.Context, t *brokerlock.Term) { _ = release(ctx, t.Resign) })
	switch {
	case sig != nil:
		return withCode(exitSignalBase+signalNumber(sig),
			fmt.Errorf("got %v while campaigning in election %q: gave up", sig, spec.name))
	case errors.Is(err, brokerlock.ErrInvalid):
		return withCode(exitUsage, err)
	case err != nil:
		return c.failed(fmt.Sprintf("election %q", spec.name), err)
	}
	return a.runHeld(cmd.Context(), heldTerm(term), spec, sigs)
}

// listen prints the leader of NAME on every change until a signal.
func (a *app) listen(cmd *cobra.Command, f *electFlags, args []string) error {
	asJSON, err := f.out.json()
	if err != nil {
		return err
	}
	if len(args) != 1 || args[0] == "" {
		return usageErrorf("elect --listen: want one non-empty NAME, got %q", args)
	}
	return a.withSignals(cmd, func(c *conn, sigs <-chan os.Signal) error { return a.printLeaders(cmd, c, args[0], asJSON, sigs) })
}

// printLeaders prints name's leader on every change until a signal.
func (a *app) printLeaders(cmd *cobra.Command, c *conn, name string, asJSON bool, sigs <-chan os.Signal) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	leaders := brokerlock.New(c.adapter).Election(name, brokerlock.ElectionOptions{}).Observe(ctx)
	for {
		select {
		case l, ok := <-leaders:
			if !ok {
				return nil
			}
			if err := a.printLeader(l, asJSON); err != nil {
				return err
			}
		case sig := <-sigs:
			return withCode(exitSignalBase+signalNumber(sig), nil)
		}
	}
}

// leaderJSON is one line of elect --listen -o json.
type leaderJSON struct {
	Key   string    `json:"key"`
	Value string    `json:"value"`
	Token int64     `json:"token"`
	At    time.Time `json:"at"`
}

func (a *app) printLeader(l brokerlock.Leader, asJSON bool) error {
	var err error
	switch {
	case asJSON && l.Key == "":
		_, err = fmt.Fprintln(a.stdout, "null")
	case asJSON:
		err = writeJSONLine(a.stdout, leaderJSON{Key: l.Key, Value: l.Value, Token: l.Token, At: time.Now().UTC()})
	case l.Key == "":
		_, err = fmt.Fprintln(a.stdout, "no leader")
	default:
		_, err = fmt.Fprintln(a.stdout, l.Value)
	}
	if err != nil {
		return withCode(exitUnavailable, fmt.Errorf("write: %w", err))
	}
	return nil
}
