package brokerlock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// Campaign waits until this candidate leads; the Term's Token fences its
// writes, Proclaim changes what others see, and Resign hands over at once.
func ExampleElection_Campaign() {
	ctx := context.Background()
	adapter := memadapter.New()
	defer adapter.Close()
	election := brokerlock.New(adapter).Election("scheduler", brokerlock.ElectionOptions{TTL: 10 * time.Second})

	term, err := election.Campaign(ctx, "pod-0")
	if err != nil {
		fmt.Println(err)
		return
	}
	leader, _ := election.Leader(ctx)
	fmt.Println("leader:", leader.Value, "token matches:", leader.Token == term.Token())
	_ = term.Proclaim(ctx, "pod-0 (draining)")
	leader, _ = election.Leader(ctx)
	fmt.Println("leader:", leader.Value)

	_ = term.Resign(ctx)
	_, err = election.Leader(ctx)
	fmt.Println("after Resign:", errors.Is(err, brokerlock.ErrNoLeader), errors.Is(term.Err(), brokerlock.ErrReleased))
	// Output:
	// leader: pod-0 token matches: true
	// leader: pod-0 (draining)
	// after Resign: true true
}

// Run is the loop an operator embeds: lead while fn runs, campaign again
// after a lost term, resign when fn returns or ctx ends.
func ExampleElection_Run() {
	adapter := memadapter.New()
	defer adapter.Close()
	election := brokerlock.New(adapter).Election("controller", brokerlock.ElectionOptions{})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	lost := false
	err := election.Run(ctx, "pod-1", func(ctx context.Context, term *brokerlock.Term) error {
		fmt.Println("leading, token", term.Token())
		if !lost { // an operator deletes our key: this term ends
			lost = true
			adapter.Revoke("controller")
			<-ctx.Done()
			fmt.Println("term lost:", errors.Is(context.Cause(ctx), brokerlock.ErrLockLost))
			return ctx.Err() // dropped: Run campaigns again
		}
		return errors.New("reconcile loop ended") // Run resigns and returns it
	})
	fmt.Println("Run:", err)
	// Output:
	// leading, token 1
	// term lost: true
	// leading, token 2
	// Run: reconcile loop ended
}

// Observe reports the current leader first (the zero Leader when nobody
// leads), then every change.
func ExampleElection_Observe() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	adapter := memadapter.New()
	defer adapter.Close()
	election := brokerlock.New(adapter).Election("scheduler", brokerlock.ElectionOptions{})

	leaders := election.Observe(ctx)
	fmt.Printf("%q\n", (<-leaders).Value)
	term, _ := election.Campaign(ctx, "pod-2")
	fmt.Printf("%q\n", (<-leaders).Value)
	_ = term.Resign(ctx)
	l := <-leaders
	fmt.Printf("%q nobody leads: %v\n", l.Value, l == brokerlock.Leader{})
	// Output:
	// ""
	// "pod-2"
	// "" nobody leads: true
}
