package etcdadapter_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// samplesEnv names a directory where benchmarks append their raw samples
// (handoff times, for cmd/benchplot's latency CDF); unset, nothing is
// written.
const samplesEnv = "BROKERLOCK_BENCH_SAMPLES"

// saveSamples appends ds, in milliseconds, one per line, to the file of
// b's name in $BROKERLOCK_BENCH_SAMPLES.
func saveSamples(b *testing.B, ds []time.Duration) {
	dir := os.Getenv(samplesEnv)
	if dir == "" {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.Name()) + ".txt"
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatalf("save samples: %v", err)
	}
	defer f.Close()
	var sb strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&sb, "%.4f\n", msec(d))
	}
	if _, err := f.WriteString(sb.String()); err != nil {
		b.Fatalf("save samples: %v", err)
	}
}
