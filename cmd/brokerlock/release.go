package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brokerlock/brokerlock/brokerlock"
)

const releaseLong = `Release the lock NAME by deleting its holder's key, as an operator's escape
hatch for a holder that hangs. Requires --force: a lock is released by its
holder, when its command exits or it calls Release. Deleting the key frees
the lock at once: the next waiter takes it while the old holder may still be
working ('brokerlock run' then stops its command and exits 70), and only
fencing tokens refuse the old holder's late writes. The delete is fenced by
the key's revision, so it never removes a newer holder.

`

func newReleaseCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "release --force NAME",
		Short:   "Force a lock free by deleting its holder's key",
		Long:    releaseLong + exitCodesHelp(),
		Example: "  brokerlock release --force nightly-report",
		Args:    nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return usageErrorf("release %q: refusing without --force: a lock is released by its holder; "+
					"--force deletes the holder's key while it may still be working, and the next waiter gets the lock at once", args[0])
			}
			return a.forceRelease(cmd, args[0])
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete the holder's key (required)")
	return cmd
}

func (a *app) forceRelease(cmd *cobra.Command, name string) error {
	var e *brokerlock.Entry
	err := a.request(cmd, fmt.Sprintf("release %q", name), func(ctx context.Context, c *conn) (err error) {
		e, err = c.adapter.ForceRelease(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	if e == nil {
		fmt.Fprintf(a.stdout, "%s was free: nothing to release\n", name)
		return nil
	}
	fmt.Fprintf(a.stdout, "released %s: removed key %s of %s (token %d)\n", name, e.Key, holderName(e), e.Token)
	return nil
}
