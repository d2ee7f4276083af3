package brokerlocktest_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/brokerlock/brokerlocktest"
	"github.com/brokerlock/brokerlock/brokerlock/memadapter"
)

// mutantEnv names the mutant that a subprocess runs the suite on.
const mutantEnv = "BROKERLOCKTEST_MUTANT"

func TestMain(m *testing.M) {
	if os.Getenv(mutantEnv) != "" {
		os.Exit(m.Run()) // mutants leak by design
	}
	goleak.VerifyTestMain(m)
}

// TestMutantsFail checks that the suite is not vacuous: on memadapter
// with one promise broken, the subtests of that promise fail. Each
// mutant runs in a subprocess, since a failing suite fails its test.
func TestMutantsFail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per mutant")
	}
	outputs := runMutants(t)
	for i, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			failed := failedSubtests(outputs[i])
			for _, want := range m.mustFail {
				if !failed[want] {
					t.Errorf("subtest %s passed on mutant %s, want it to fail; output:\n%s", want, m.name, outputs[i])
				}
			}
		})
	}
}

// runMutants runs the suite on every mutant, a few at a time, and
// returns each run's output.
func runMutants(t *testing.T) []string {
	outputs := make([]string, len(mutants))
	slots := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, m := range mutants {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			outputs[i] = runMutant(t, m)
		})
	}
	wg.Wait()
	return outputs
}

// runMutant runs the mutant's must-fail subtests in a subprocess.
func runMutant(t *testing.T, m mutant) string {
	run := "^TestMutantTarget$/^(" + strings.Join(m.mustFail, "|") + ")$"
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run="+run, "-test.v", "-test.parallel=16", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), mutantEnv+"="+m.name, "GORACE=atexit_sleep_ms=0")
	out, _ := cmd.CombinedOutput() // fails by design
	return string(out)
}

var failLine = regexp.MustCompile(`--- FAIL: TestMutantTarget/(\w+) `)

func failedSubtests(output string) map[string]bool {
	failed := map[string]bool{}
	for _, m := range failLine.FindAllStringSubmatch(output, -1) {
		failed[m[1]] = true
	}
	return failed
}

// TestMutantTarget runs the suite on the mutant that mutantEnv names; it
// runs only in TestMutantsFail's subprocesses.
func TestMutantTarget(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("runs in TestMutantsFail's subprocesses")
	}
	m := findMutant(t, name)
	table := memadapter.New()
	t.Cleanup(func() { table.Close() })
	brokerlocktest.Run(t, func(t *testing.T) brokerlock.Adapter {
		a := table.NewClient()
		t.Cleanup(func() { a.Close() })
		return m.wrap(a)
	})
}

func findMutant(t *testing.T, name string) mutant {
	for _, m := range mutants {
		if m.name == name {
			return m
		}
	}
	t.Fatalf("no mutant %q", name)
	return mutant{}
}
