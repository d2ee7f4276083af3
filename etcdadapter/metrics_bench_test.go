package etcdadapter_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// promMetrics is one scrape of the embedded etcd's Prometheus metrics:
// the value of every series, keyed by `name{labels}`.
type promMetrics map[string]float64

// scrapeMetrics reads the metrics of the server under test (target).
func scrapeMetrics(b *testing.B) promMetrics {
	b.Helper()
	var m promMetrics
	fetch(b, target().endpoints[0]+"/metrics", func(r io.Reader) (err error) {
		m, err = parseMetrics(bufio.NewScanner(r))
		return err
	})
	return m
}

// fetch GETs url and hands its body to read. Its connection is not kept
// alive, so no goroutine outlives the call.
func fetch(b *testing.B, url string, read func(io.Reader) error) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := read(resp.Body); err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
}

// parseMetrics parses the Prometheus text format's samples, skipping
// comments.
func parseMetrics(sc *bufio.Scanner) (promMetrics, error) {
	m := promMetrics{}
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if line == "" || line[0] == '#' || i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue // e.g. a timestamp column; none in etcd's output
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

// sum adds the series of metric name whose labels contain every one of
// labels (each written `key="value"`).
func (m promMetrics) sum(name string, labels ...string) float64 {
	var total float64
	for series, v := range m {
		n, lbls, _ := strings.Cut(series, "{")
		if n == name && containsAll(lbls, labels) {
			total += v
		}
	}
	return total
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// unaryRPCs counts the unary RPCs etcd started serving.
func (m promMetrics) unaryRPCs() float64 {
	return m.sum("grpc_server_started_total", `grpc_type="unary"`)
}

// streams counts the gRPC streams started: Watch and LeaseKeepAlive.
func (m promMetrics) streams() float64 {
	return m.sum("grpc_server_started_total", `grpc_type="bidi_stream"`)
}

// watchRequests counts the create and cancel requests on watch streams.
func (m promMetrics) watchRequests() float64 {
	return m.sum("grpc_server_msg_received_total", `grpc_service="etcdserverpb.Watch"`)
}

// watchEvents counts the events etcd sent to watchers.
func (m promMetrics) watchEvents() float64 {
	return m.sum("etcd_debugging_mvcc_events_total")
}

// proposals counts the raft proposals etcd committed (writes, and a
// lease's grant, revoke and checkpoint).
func (m promMetrics) proposals() float64 {
	return m.sum("etcd_server_proposals_committed_total")
}

// watchers is the number of watchers etcd has now.
func (m promMetrics) watchers() float64 {
	return m.sum("etcd_debugging_mvcc_watcher_total")
}

// snapshot is the process's and the server's state at one moment.
type snapshot struct {
	heapInuse  uint64
	goroutines int
	metrics    promMetrics
	serverHeap float64 // heap in use of a server apart (after a GC); 0 for the embedded one
}

// takeSnapshot collects garbage first, so heapInuse is what is live.
func takeSnapshot(b *testing.B) snapshot {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := snapshot{heapInuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
	if apart != nil {
		fetch(b, apart.endpoints[0]+"/debug/pprof/heap?gc=1", func(r io.Reader) error { // GC, then a profile
			_, err := io.Copy(io.Discard, r)
			return err
		})
	}
	s.metrics = scrapeMetrics(b)
	if apart != nil {
		s.serverHeap = s.metrics.sum("go_memstats_heap_inuse_bytes")
	}
	return s
}

// perItem is what changed from s to t, divided by n: heap bytes,
// goroutines and etcd watchers.
func (s snapshot) perItem(t snapshot, n int) (heapBytes, goroutines, watchers float64) {
	heapBytes = (float64(t.heapInuse) - float64(s.heapInuse)) / float64(n)
	goroutines = float64(t.goroutines-s.goroutines) / float64(n)
	watchers = (t.metrics.watchers() - s.metrics.watchers()) / float64(n)
	return heapBytes, goroutines, watchers
}

// settle waits until etcd is quiet: no unary RPC and no change in its
// watcher count during three scrapes 100ms apart (the lockers have all set
// up their reads and watches), at most timeout. Watch requests go on: each
// adapter probes its watch streams every second (a watch created and
// cancelled at once), 20 requests a second with 10 adapters.
func settle(b *testing.B, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	last, quiet := activity(scrapeMetrics(b)), 0
	for quiet < 3 {
		if time.Now().After(deadline) {
			b.Fatalf("etcd still busy after %v", timeout)
		}
		time.Sleep(100 * time.Millisecond)
		now := activity(scrapeMetrics(b))
		if now == last {
			quiet++
		} else {
			last, quiet = now, 0
		}
	}
}

// activity is what settle watches for changes.
func activity(m promMetrics) [2]float64 {
	return [2]float64{m.unaryRPCs(), m.watchers()}
}

// waitKeys waits until prefix has n keys, at most timeout.
func waitKeys(b *testing.B, prefix string, n int64, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for countKeys(b, prefix) < n {
		if time.Now().After(deadline) {
			b.Fatalf("fewer than %d keys under %q after %v", n, prefix, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
