package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/brokerlock/brokerlock/internal/testutil"
)

// The quickstart tells the story the README promises: FIFO handoffs, a
// TTL loss told to the holder before the next worker holds, a refused
// stale write, and no key left.
func TestQuickstartTimeline(t *testing.T) {
	t.Setenv("ETCD_ENDPOINTS", "")
	var buf bytes.Buffer
	out = &buf
	if err := run(); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	lines := buf.String()
	for _, want := range []string{
		"alice      holds it", "bob        holds it", "carol      told it lost the lock",
		"dave       holds it", "carol      write REFUSED", "done: 0 keys left",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("timeline lacks %q:\n%s", want, lines)
		}
	}
	order := []string{"alice      holds", "bob        holds", "carol      holds", "carol      told", "dave       holds"}
	for i := 1; i < len(order); i++ {
		if strings.Index(lines, order[i-1]) > strings.Index(lines, order[i]) {
			t.Errorf("%q came after %q:\n%s", order[i-1], order[i], lines)
		}
	}
}

// The quickstart stops every goroutine it started, etcd's included.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := testutil.FindLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
