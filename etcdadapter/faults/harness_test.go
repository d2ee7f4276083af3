package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/pkg/v3/proxy"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/brokerlock/brokerlock/brokerlock"
	"github.com/brokerlock/brokerlock/etcdadapter"
	"github.com/brokerlock/brokerlock/internal/testutil"
)

const (
	nWorkers    = 3
	lockID      = "job"
	incPerHold  = 3                      // guarded increments per hold
	workTime    = 80 * time.Millisecond  // "work" after each increment
	opTimeout   = 2 * time.Second        // each read or guarded write
	holdTimeout = 8 * time.Second        // Options.Timeout of every Hold
	retryPause  = 100 * time.Millisecond // after a failed Hold
	keysGrace   = 12 * time.Second       // for background clean-ups after the last release
	// liveSlack is the "few seconds" beyond a mode's blockBound within
	// which every worker must hold the lock again after a fault heals.
	liveSlack = 6 * time.Second
)

// mode is a TTL flavour of the lock, or the election.
type mode struct {
	name string
	opts brokerlock.Options
	// election: the workers campaign in an Election (TTL opts.TTL) and
	// resign, instead of holding an Item and releasing it.
	election bool
	// limit > 0: the workers hold permits of a Semaphore of this limit
	// (and there are limit+1 of them), instead of an Item.
	limit int
	// rw: the workers share an RWLock: the last one writes (increments
	// the counter), the others read it as readers.
	rw bool
	// blockBound is the longest a cut-off or dead holder can keep the
	// others out: the lease TTL the adapter asks for (lease.go
	// leaseSeconds) plus etcd's 500ms expiry check.
	blockBound time.Duration
}

func keepAliveMode(ttl time.Duration) mode {
	secs := (ttl + time.Second - 1) / time.Second
	return mode{
		name:       "keepalive",
		opts:       brokerlock.Options{TTL: ttl, KeepAlive: true, Timeout: holdTimeout},
		blockBound: secs*time.Second + 500*time.Millisecond,
	}
}

// electionMode is keepAliveMode with the workers as election candidates:
// a term is a hold whose lease is kept alive.
func electionMode(ttl time.Duration) mode {
	m := keepAliveMode(ttl)
	m.name, m.election = "election", true
	return m
}

// semaphoreMode is keepAliveMode with the workers holding permits of a
// semaphore of limit 3: four workers, so one always waits.
func semaphoreMode(ttl time.Duration) mode {
	m := keepAliveMode(ttl)
	m.name, m.limit = "semaphore", 3
	return m
}

// rwMode is keepAliveMode on an RWLock: three readers and one writer.
func rwMode(ttl time.Duration) mode {
	m := keepAliveMode(ttl)
	m.name, m.rw = "rwlock", true
	return m
}

// workers is how many workers the mode runs: one more than may hold.
func (m mode) workers() int {
	if m.rw {
		return nWorkers + 1
	}
	return max(nWorkers, m.limit+1)
}

// reader reports whether worker id of the mode is an RWLock reader.
func (m mode) reader(id int) bool { return m.rw && id < m.workers()-1 }

// holders is how many may hold at once.
func (m mode) holders() int { return max(1, m.limit) }

func hardMode(ttl time.Duration) mode {
	// Mirrors etcdadapter.leaseSeconds: the smallest whole-second lease g
	// with g - min(g/4, 500ms+g/100) >= TTL + 1s.
	g := (ttl + time.Second - 1) / time.Second * time.Second
	for g-min(g/4, 500*time.Millisecond+g/100) < ttl+time.Second {
		g += time.Second
	}
	return mode{
		name:       "hard",
		opts:       brokerlock.Options{TTL: ttl, Timeout: holdTimeout},
		blockBound: g + 500*time.Millisecond,
	}
}

// env is one scenario run: a 3-member cluster, nWorkers workers and the
// recorder of everything they did.
type env struct {
	t       *testing.T
	cl      *testutil.Cluster
	admin   *clientv3.Client // straight to the members, never faulted
	mode    mode
	prefix  string // the adapters' prefix
	lockPfx string // the lock's key prefix under it
	counter string // the guarded counter, outside prefix
	start   time.Time
	workers []*worker
	rec     *recorder
	obs     *observer // in election mode

	hook atomic.Pointer[hookFunc] // run by the next worker that acquires

	ctx      context.Context // cancelled to stop the workers
	cancel   context.CancelFunc
	wg       sync.WaitGroup // workers and Done observers
	stopOnce sync.Once
	stopping atomic.Pointer[time.Time] // when stopWorkers began
	closeErr []error
}

// hookFunc runs in a worker's goroutine right after it acquired, before its
// critical section.
type hookFunc func(w *worker, hr *holdRec)

var scenarioSeq atomic.Int64

func newEnv(t *testing.T, name string, m mode) *env {
	t.Helper()
	cl := testutil.StartCluster(t, 3)
	base := fmt.Sprintf("faults/%s-%s-%d/", name, m.name, scenarioSeq.Add(1))
	e := &env{
		t: t, cl: cl, admin: cl.NewClient(t), mode: m,
		prefix: base + "locks/", counter: base + "counter",
		rec: newRecorder(m.holders(), m.workers()),
	}
	e.lockPfx = etcdadapter.LockPrefix(e.prefix, lockID)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	t.Cleanup(e.shutdown) // before the cluster stops: cleanups run last-in first-out
	for i := range m.workers() {
		e.workers = append(e.workers, newWorker(t, e, i))
	}
	if m.election {
		e.obs = startObserver(t, e)
	}
	return e
}

// since is t's offset from the start of the run.
func (e *env) since(t time.Time) time.Duration { return t.Sub(e.start) }

// run starts the workers.
func (e *env) run() {
	e.start = time.Now()
	for _, w := range e.workers {
		e.wg.Add(1)
		go w.run()
	}
}

// setHook makes f run in the next worker that acquires.
func (e *env) setHook(f hookFunc) { e.hook.Store(&f) }

// stopWorkers stops the workers and waits for them; each releases what it
// holds.
func (e *env) stopWorkers() {
	e.stopping.CompareAndSwap(nil, new(time.Now()))
	e.cancel()
	e.wg.Wait()
}

// shutdown stops the workers, closes the adapters, the clients and the
// proxies, in that order (a proxy's Close waits for its connections).
func (e *env) shutdown() {
	e.stopOnce.Do(func() {
		e.stopWorkers()
		if e.obs != nil {
			e.obs.stop()
		}
		for _, w := range e.workers {
			if err := w.adapter.Close(); err != nil {
				e.closeErr = append(e.closeErr, fmt.Errorf("%s: adapter.Close: %w", w.name, err))
			}
		}
		for _, w := range e.workers {
			_ = w.client.Close()
		}
		for _, w := range e.workers {
			w.heal()
			for _, p := range w.proxies {
				_ = p.Close()
			}
		}
	})
}

// waitFor polls cond every 20ms until it holds or d passed.
func (e *env) waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// keysUnder lists the keys under the adapters' prefix.
func (e *env) keysUnder() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := e.admin.Get(ctx, e.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		keys[i] = string(kv.Key)
	}
	return keys, nil
}

// worker is one "process": its own proxies (one per member), client,
// adapter and item.
type worker struct {
	e       *env
	id      int
	name    string
	proxies []proxy.Server
	client  *clientv3.Client
	adapter *etcdadapter.Adapter
	item    *brokerlock.Item
	elect   *brokerlock.Election  // in election mode
	sem     *brokerlock.Semaphore // in semaphore mode
	rw      *brokerlock.RWLock    // in rwlock mode
	conns   connTracker
	writes  atomic.Int64 // sequence of write ids
}

func newWorker(t *testing.T, e *env, id int) *worker {
	t.Helper()
	w := &worker{e: e, id: id, name: fmt.Sprintf("w%d", id)}
	w.client, w.proxies = proxiedClient(t, e.cl.Endpoints(), &w.conns)
	w.adapter = etcdadapter.New(w.client, etcdadapter.WithPrefix(e.prefix))
	w.item = brokerlock.New(w.adapter).Item(lockID, e.mode.opts)
	w.elect = brokerlock.New(w.adapter).Election(lockID, brokerlock.ElectionOptions{TTL: e.mode.opts.TTL})
	w.sem = brokerlock.New(w.adapter).Semaphore(lockID, max(1, e.mode.limit), e.mode.opts)
	w.rw = brokerlock.New(w.adapter).RWLock(lockID, e.mode.opts)
	return w
}

// tenure is what a worker holds: a lock's *brokerlock.Hold, or an
// election's term (termTenure).
type tenure interface {
	Key() string
	Token() int64
	Done() <-chan struct{}
	Err() error
	Release(ctx context.Context) error
}

// termTenure is a term, released by resigning.
type termTenure struct{ *brokerlock.Term }

func (t termTenure) Release(ctx context.Context) error { return t.Resign(ctx) }

// take holds the lock or a permit, or campaigns until elected, within
// holdTimeout.
func (w *worker) take(ctx context.Context) (tenure, error) {
	switch {
	case w.e.mode.reader(w.id):
		return w.rw.RHold(ctx)
	case w.e.mode.rw:
		return w.rw.Hold(ctx)
	case w.e.mode.limit > 0:
		return w.sem.Hold(ctx)
	case !w.e.mode.election:
		return w.item.Hold(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, holdTimeout)
	defer cancel()
	term, err := w.elect.Campaign(ctx, w.name)
	if err != nil {
		return nil, err
	}
	return termTenure{term}, nil
}

// proxiedClient starts one proxy to each endpoint and a client to the
// proxies, with the client settings of the README (DialTimeout only). The
// caller closes the client, then the proxies. conns (may be nil) records
// the client's connections, so that a heal can reset them.
func proxiedClient(t *testing.T, endpoints []string, conns *connTracker) (*clientv3.Client, []proxy.Server) {
	t.Helper()
	var eps []string
	var proxies []proxy.Server
	for _, to := range endpoints {
		p := newProxy(t, to)
		proxies = append(proxies, p)
		eps = append(eps, "http://"+strings.TrimPrefix(p.From(), "tcp://"))
	}
	cfg := clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if conns != nil {
		cfg.DialOptions = []grpc.DialOption{grpc.WithContextDialer(conns.dial)}
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("client to %v: %v", eps, err)
	}
	return cli, proxies
}

// connTracker dials a client's TCP connections and can reset them.
type connTracker struct {
	mu    sync.Mutex
	conns map[*trackedConn]bool
}

type trackedConn struct {
	net.Conn
	tr *connTracker
}

func (c *trackedConn) Close() error {
	c.tr.mu.Lock()
	delete(c.tr.conns, c)
	c.tr.mu.Unlock()
	return c.Conn.Close()
}

func (tr *connTracker) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: conn, tr: tr}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.conns == nil {
		tr.conns = map[*trackedConn]bool{}
	}
	tr.conns[tc] = true
	return tc, nil
}

// reset closes the connections to addr ("host:port"; "" for all): the
// client sees them fail and dials again.
func (tr *connTracker) reset(addr string) {
	tr.mu.Lock()
	var victims []*trackedConn
	for c := range tr.conns {
		if addr == "" || c.RemoteAddr().String() == addr {
			victims = append(victims, c)
		}
	}
	tr.mu.Unlock()
	for _, c := range victims {
		_ = c.Close()
	}
}

// newProxy starts a proxy to the member at to on a free loopback port.
func newProxy(t *testing.T, to string) proxy.Server {
	t.Helper()
	toURL, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		p := proxy.NewServer(proxy.ServerConfig{
			From:   url.URL{Scheme: "tcp", Host: fmt.Sprintf("127.0.0.1:%d", port)},
			To:     url.URL{Scheme: "tcp", Host: toURL.Host},
			Logger: zap.NewNop(),
		})
		select {
		case <-p.Ready():
			go drainProxyErrors(p)
			return p
		case lastErr = <-p.Error():
			_ = p.Close()
		}
	}
	t.Fatalf("start proxy to %s: %v", to, lastErr)
	return nil
}

// drainProxyErrors empties the proxy's error channel (16 deep; a full one
// blocks the proxy's copy loops) until the proxy is closed.
func drainProxyErrors(p proxy.Server) {
	for {
		select {
		case <-p.Error():
		case <-p.Done():
			return
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cutOff drops everything between this worker and every member, both ways;
// connections stay open, as behind a dead switch.
func (w *worker) cutOff() {
	for i := range w.proxies {
		w.cutOffFrom(i)
	}
}

func (w *worker) cutOffFrom(member int) {
	w.proxies[member].BlackholeTx()
	w.proxies[member].BlackholeRx()
}

// heal undoes cutOff and resets the connections that were cut. The proxy
// drops the bytes sent while cut, which TCP never does: an HTTP/2
// connection that lost bytes can stay wedged (seen once in a soak: every
// request timed out for 30s after the heal), so a heal ends it, as a real
// stack resets a connection whose peer lost its state.
func (w *worker) heal() {
	for i := range w.proxies {
		w.healFrom(i)
	}
}

func (w *worker) healFrom(member int) {
	p := w.proxies[member]
	p.UnblackholeTx()
	p.UnblackholeRx()
	w.conns.reset(strings.TrimPrefix(p.From(), "tcp://"))
}

// run is the worker's loop: hold, increment the counter incPerHold times
// under the fencing token, release; until the run is stopped.
func (w *worker) run() {
	e := w.e
	defer e.wg.Done()
	for seq := 0; e.ctx.Err() == nil; seq++ {
		start := time.Now()
		h, err := w.take(e.ctx)
		if err != nil {
			if e.ctx.Err() == nil {
				e.rec.holdErr(w.id, start, err)
				sleepCtx(e.ctx, retryPause)
			}
			continue
		}
		hr := e.rec.acquired(w.id, seq, h, e.mode.reader(w.id))
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			<-h.Done()
			e.rec.doneObserved(hr)
		}()
		if f := e.hook.Swap(nil); f != nil {
			(*f)(w, hr)
		}
		w.critical(hr)
		e.rec.releasing(hr)
		err = h.Release(context.Background())
		e.rec.released(hr, err)
		if e.mode.rw && !hr.shared {
			sleepCtx(e.ctx, writerPause) // let the readers in together
		}
	}
}

// writerPause is how long an RWLock's writer waits between its holds, so
// that readers hold together in between rather than one by one.
const writerPause = 300 * time.Millisecond

// critical does the guarded work of one hold, stopping once the hold has
// ended (a careful worker checks Done before every write).
func (w *worker) critical(hr *holdRec) {
	for range incPerHold {
		if hr.ended() || w.e.ctx.Err() != nil {
			return
		}
		if hr.shared {
			w.read() // a reader only reads
		} else {
			w.increment(hr, false)
		}
		select {
		case <-time.After(workTime):
		case <-hr.h.Done():
		case <-w.e.ctx.Done():
		}
	}
}

// increment reads the counter and writes counter+1 in a txn guarded by the
// hold's fencing token and by the counter's ModRevision from the read.
func (w *worker) increment(hr *holdRec, late bool) *writeRec {
	rd := w.read()
	if rd == nil {
		return nil
	}
	return w.write(hr, rd, late)
}

// read reads the counter; nil if the read failed.
func (w *worker) read() *readRec {
	ctx, cancel := context.WithTimeout(w.e.ctx, opTimeout)
	defer cancel()
	rd := &readRec{worker: w.id, call: time.Now()}
	resp, err := w.client.Get(ctx, w.e.counter)
	rd.ret = time.Now()
	if err != nil {
		w.e.rec.readFailed(w.id, rd.call, err)
		return nil
	}
	if len(resp.Kvs) > 0 {
		rd.val = parseCounter(resp.Kvs[0].Value)
		rd.modRev = resp.Kvs[0].ModRevision
	}
	w.e.rec.addRead(rd)
	return rd
}

// write writes rd.val+1 if hr still holds the lock (etcdadapter.IsOwner)
// and nobody wrote the counter since rd.
func (w *worker) write(hr *holdRec, rd *readRec, late bool) *writeRec {
	ctx, cancel := context.WithTimeout(w.e.ctx, opTimeout)
	defer cancel()
	wr := &writeRec{
		id:     fmt.Sprintf("%s.%d", w.name, w.writes.Add(1)),
		worker: w.id, hold: hr, from: rd.val, fromRev: rd.modRev,
		late: late, afterDone: hr.ended(), call: time.Now(),
	}
	resp, err := w.client.Txn(ctx).
		If(etcdadapter.IsOwner(hr.h), clientv3.Compare(clientv3.ModRevision(w.e.counter), "=", rd.modRev)).
		Then(clientv3.OpPut(w.e.counter, fmt.Sprintf("%d %s", rd.val+1, wr.id))).
		Else(clientv3.OpGet(hr.key), clientv3.OpGet(w.e.counter)).
		Commit()
	wr.ret = time.Now()
	switch {
	case err != nil:
		wr.outcome, wr.err = outUnknown, err
	case resp.Succeeded:
		wr.outcome, wr.rev = outApplied, resp.Header.Revision
	default:
		wr.outcome = outRefused
		own := resp.Responses[0].GetResponseRange().Kvs
		wr.fenced = len(own) == 0 || own[0].CreateRevision != hr.token
		cur := resp.Responses[1].GetResponseRange().Kvs
		var curRev int64
		if len(cur) > 0 {
			curRev = cur[0].ModRevision
		}
		wr.changed = curRev != rd.modRev
	}
	w.e.rec.addWrite(wr)
	return wr
}

func parseCounter(v []byte) int64 {
	var n int64
	fmt.Sscanf(string(v), "%d", &n)
	return n
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// holdErrKind names what a failed Hold returned, for the summary.
func holdErrKind(err error) string {
	switch {
	case errors.Is(err, brokerlock.ErrTimeout):
		return "timeout"
	case errors.Is(err, brokerlock.ErrLockLost):
		return "lost-while-waiting"
	case errors.Is(err, brokerlock.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "ctx"
	}
	return "other"
}
