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

const listLong = `List every held lock under the key prefix (--prefix, env BROKERLOCK_PREFIX)
with its holder, since when it holds, its fencing token and how many wait.
-o json prints each lock as "status -o json" does, holder and waiters included.

`

func newListCmd(a *app) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the held locks with their holders and waiters",
		Long:    listLong + exitCodesHelp(),
		Example: "  brokerlock list\n  brokerlock list --prefix myapp/ -o json | jq -r '.[] | select(.waiters | length > 0) | .name'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			return a.list(cmd, asJSON)
		},
	}
	out.register(cmd.Flags())
	return cmd
}

// noArgs refuses arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s: takes no arguments, got %q", cmd.Name(), args)
	}
	return nil
}

func (a *app) list(cmd *cobra.Command, asJSON bool) error {
	var infos []brokerlock.LockInfo
	var prefix string
	err := a.request(cmd, "list", func(ctx context.Context, c *conn) (err error) {
		prefix = c.adapter.Prefix()
		infos, err = c.adapter.List(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		locks := make([]lockJSON, 0, len(infos))
		for _, info := range infos {
			locks = append(locks, lockJSONOf(info))
		}
		return writeJSON(a.stdout, locks)
	}
	printList(a.stdout, prefix, infos, time.Now())
	return nil
}

// printList writes the table of list.
func printList(w io.Writer, prefix string, infos []brokerlock.LockInfo, now time.Time) {
	if len(infos) == 0 {
		fmt.Fprintf(w, "no locks held under %q\n", prefix)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOLDER\tSINCE\tTOKEN\tWAITERS")
	for _, info := range infos {
		h := info.Holder
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", info.ID, holderCell(info), agoOrDash(h.AcquiredAt, now), h.Token, len(info.Waiters))
	}
	_ = tw.Flush()
}

// holderCell names the holder in list's table: its identity, or for a
// Semaphore "2/3 permits", for readers "3 readers", for an election's
// leader its value.
func holderCell(info brokerlock.LockInfo) string {
	switch h := info.Holder; {
	case h.Limit > 0:
		return fmt.Sprintf("%d/%d permits", len(info.Holders), h.Limit)
	case h.Shared:
		return fmt.Sprintf("%d readers", len(info.Holders))
	case h.Identity == "" && h.Value != "":
		return fmt.Sprintf("leader %q", h.Value)
	}
	return orDash(info.Holder.Identity)
}
