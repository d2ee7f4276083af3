package chaos

import (
	"strings"
	"testing"
)

// etcd-leader-frozen is skipped exactly on the etcd versions whose
// deposed leader revokes leases (etcd issue #15247), with the reason.
func TestLeaderFrozenSkippedWhereEtcdRevokesAsDeposedLeader(t *testing.T) {
	tests := []struct {
		version string
		skip    bool
	}{
		{"3.3.27", true},
		{"3.4.23", true},
		{"3.4.30", true},
		{"3.4.31", false},
		{"3.5.12", true},
		{"3.5.13", false},
		{"3.6.0", false},
		{"3.7.3", false},
		{"unknown", false},
	}
	for _, tt := range tests {
		why := unsound(scenarioNamed(t, "etcd-leader-frozen"), tt.version)
		if got := why != ""; got != tt.skip {
			t.Errorf("etcd %s: skipped %v (%q), want %v", tt.version, got, why, tt.skip)
		}
		if why != "" && !strings.Contains(why, "#15247") {
			t.Errorf("etcd %s: reason %q, want it to name etcd issue #15247", tt.version, why)
		}
	}
	if why := unsound(scenarioNamed(t, "etcd-member-frozen"), "3.4.23"); why != "" {
		t.Errorf("etcd-member-frozen on 3.4.23: skipped (%q), want it run", why)
	}
}

func scenarioNamed(t *testing.T, name string) Scenario {
	for _, sc := range Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q", name)
	return Scenario{}
}
