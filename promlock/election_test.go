package promlock_test

import (
	"testing"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Metric names of the election metrics.
const (
	electionLeader = "brokerlock_election_leader"
	electionTerms  = "brokerlock_election_terms_total"
	campaignWait   = "brokerlock_election_campaign_seconds"
)

// The leader gauge is 1 while this process leads an election and 0 once
// the term ends; each term's end and each Campaign count, by election.
func TestElectionLeaderGauge(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	e := f.lock.Election("scheduler", brokerlock.ElectionOptions{})
	term, err := e.Campaign(ctx, "pod-1")
	if err != nil {
		t.Fatalf("Campaign: got error %v, want to lead", err)
	}
	wantValues(t, f.reg, "while leading",
		want{electionLeader, []string{"election", "scheduler"}, 1},
		want{campaignWait, []string{"election", "scheduler", "result", "acquired"}, 1})
	if err := term.Resign(ctx); err != nil {
		t.Fatalf("Resign: got error %v", err)
	}
	wantValues(t, f.reg, "after Resign",
		want{electionLeader, []string{"election", "scheduler"}, 0},
		want{electionTerms, []string{"election", "scheduler", "end", "released"}, 1})
	term, err = e.Campaign(ctx, "pod-1")
	if err != nil {
		t.Fatalf("second Campaign: got error %v, want to lead", err)
	}
	if !f.other.Revoke("scheduler") {
		t.Fatalf("Revoke: got false, want the term ended")
	}
	eventually(t, "the lost term's end to be recorded", func() bool {
		return value(t, f.reg, electionTerms, "election", "scheduler", "end", "lost") == 1
	})
	wantValues(t, f.reg, "after the term was lost",
		want{electionLeader, []string{"election", "scheduler"}, 0})
	_ = term.Resign(ctx)
}

// Holds of a semaphore and of an RWLock count under their own primitive
// label, apart from a lock's.
func TestPrimitiveLabel(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	h, err := f.lock.Semaphore("migrate", 2, brokerlock.Options{}).Hold(ctx)
	if err != nil {
		t.Fatalf("Semaphore.Hold: got error %v", err)
	}
	r, err := f.lock.RWLock("snapshot", brokerlock.Options{}).RHold(ctx)
	if err != nil {
		t.Fatalf("RWLock.RHold: got error %v", err)
	}
	wantValues(t, f.reg, "while a permit and a read are held",
		want{acquisitions, []string{"primitive", "semaphore", "result", "acquired"}, 1},
		want{acquisitions, []string{"primitive", "rwlock", "result", "acquired"}, 1},
		want{acquisitions, []string{"primitive", "lock", "result", "acquired"}, 0},
		want{inProgress, []string{"primitive", "semaphore"}, 1})
	_ = h.Release(ctx)
	_ = r.Release(ctx)
}
