package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const statusLong = `Show who holds the lock NAME and who waits for it, in queue order: identity,
label, since when, fencing token, TTL, keep-alive, and when the lease expires.
Prints "NAME is free" when nobody holds it. -o json prints the same for scripts.

`

func newStatusCmd(a *app) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "status NAME",
		Short:   "Show who holds a lock and who waits for it",
		Long:    statusLong + exitCodesHelp(),
		Example: "  brokerlock status nightly-report\n  brokerlock status -o json nightly-report | jq .holder.identity",
		Args:    nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			return a.status(cmd, args[0], asJSON)
		},
	}
	out.register(cmd.Flags())
	return cmd
}

// nameArg wants exactly one non-empty NAME.
func nameArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 || args[0] == "" {
		return usageErrorf("%s: want one non-empty NAME, got %q", cmd.Name(), args)
	}
	return nil
}

func (a *app) status(cmd *cobra.Command, name string, asJSON bool) error {
	var info brokerlock.LockInfo
	err := a.request(cmd, fmt.Sprintf("status of %q", name), func(ctx context.Context, c *conn) (err error) {
		info, err = c.adapter.Inspect(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.stdout, lockJSONOf(info))
	}
	printStatus(a.stdout, info, time.Now())
	return nil
}

// printStatus writes the text form of status: the holder, or every
// holder of a Semaphore or the readers of an RWLock, then the waiters.
func printStatus(w io.Writer, info brokerlock.LockInfo, now time.Time) {
	switch h := info.Holder; {
	case h == nil:
		fmt.Fprintf(w, "%s is free\n", info.ID)
		return
	case h.Limit > 0:
		fmt.Fprintf(w, "%s: %d/%d permits held\n", info.ID, len(info.Holders), h.Limit)
	case h.Shared:
		fmt.Fprintf(w, "%s is held by %d readers\n", info.ID, len(info.Holders))
	default:
		fmt.Fprintf(w, "%s is held by %s\n", info.ID, holderName(h))
		printHolder(w, h, now)
		printWaiters(w, info.Waiters, now)
		return
	}
	for i := range info.Holders {
		fmt.Fprintf(w, "holder %d: %s\n", i+1, holderName(&info.Holders[i]))
		printHolder(w, &info.Holders[i], now)
	}
	printWaiters(w, info.Waiters, now)
}

// printHolder writes one holder's details.
func printHolder(w io.Writer, h *brokerlock.Entry, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if h.Label != "" {
		fmt.Fprintf(tw, "  label:\t%s\n", h.Label)
	}
	if h.Value != "" {
		fmt.Fprintf(tw, "  value:\t%s\n", h.Value)
	}
	fmt.Fprintf(tw, "  since:\t%s\n", whenText(h.AcquiredAt, now))
	fmt.Fprintf(tw, "  token:\t%d\n", h.Token)
	fmt.Fprintf(tw, "  key:\t%s\n", h.Key)
	fmt.Fprintf(tw, "  ttl:\t%s\n", ttlText(h))
	fmt.Fprintf(tw, "  lease:\t%s\n", leaseText(h, now))
	_ = tw.Flush()
}

// printWaiters writes the queue as a table, the next holder first.
func printWaiters(w io.Writer, waiters []brokerlock.Entry, now time.Time) {
	if len(waiters) == 0 {
		fmt.Fprintln(w, "no waiters")
		return
	}
	fmt.Fprintf(w, "%d waiting, in queue order:\n", len(waiters))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tIDENTITY\tQUEUED\tTOKEN\tTTL\tLABEL or VALUE")
	for i, e := range waiters {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\n", i+1, orDash(e.Identity), agoOrDash(e.QueuedAt, now), e.Token, shortTTL(&e), waiterText(&e))
	}
	_ = tw.Flush()
}

// waiterText is a waiter's label or value, with what it waits as when it
// is not a plain lock's waiter: "(reader)", "(permit of 3)".
func waiterText(e *brokerlock.Entry) string {
	text := orDash(e.Label + e.Value)
	switch {
	case e.Shared:
		return text + " (reader)"
	case e.Limit > 0:
		return fmt.Sprintf("%s (permit of %d)", text, e.Limit)
	}
	return text
}
