package chaos

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Workload is what a run's workers contend for.
type Workload struct {
	Mode    string // lock, semaphore, rwlock or election
	Workers int
	Readers int // rwlock: how many of the workers are readers
	Limit   int // semaphore
	TTL     time.Duration
}

// Worker is one worker slot: a host and the process now running there (a
// killed worker is started again as a new process, P+1).
type Worker struct {
	ID     int
	Host   *Host
	Reader bool
	P      int
	proc   *Proc
}

// Fleet runs a workload's worker processes and feeds their events into a
// History.
type Fleet struct {
	bin       string
	dir       string
	endpoints []string
	prefix    string
	load      Workload
	hist      *History
	Workers   []*Worker
}

// NewFleet describes one worker per host.
func NewFleet(bin, dir string, endpoints []string, prefix string, load Workload, hist *History, hosts []*Host) *Fleet {
	f := &Fleet{bin: bin, dir: dir, endpoints: endpoints, prefix: prefix, load: load, hist: hist}
	for i, h := range hosts {
		f.Workers = append(f.Workers, &Worker{ID: i, Host: h, Reader: i >= len(hosts)-load.Readers})
	}
	return f
}

// Start starts a new process for w.
func (f *Fleet) Start(w *Worker) error {
	w.P++
	cmd := w.Host.Command(f.bin, "-endpoints", strings.Join(f.endpoints, ","), "-w", strconv.Itoa(w.ID),
		"-mode", f.load.Mode, "-prefix", f.prefix, "-ttl", f.load.TTL.String(),
		"-limit", strconv.Itoa(f.load.Limit), "-reader="+strconv.FormatBool(w.Reader))
	p := w.P
	proc, err := StartProc(cmd, filepath.Join(f.dir, fmt.Sprintf("w%d.log", w.ID)), func(line []byte) {
		var ev Event
		if json.Unmarshal(line, &ev) == nil {
			ev.W, ev.P = w.ID, p
			f.hist.Add(ev)
		}
	})
	if err != nil {
		return fmt.Errorf("start worker %d: %w", w.ID, err)
	}
	w.proc = proc
	return nil
}

// StartAll starts every worker.
func (f *Fleet) StartAll() error {
	for _, w := range f.Workers {
		if err := f.Start(w); err != nil {
			return err
		}
	}
	return nil
}

// Kill SIGKILLs w's process, records it, and waits until it is gone.
func (f *Fleet) Kill(w *Worker) {
	w.proc.Signal(syscall.SIGKILL)
	f.hist.Add(Event{W: w.ID, P: w.P, Op: OpKill})
	<-w.proc.Exited()
}

// Freeze SIGSTOPs w's process; Thaw SIGCONTs it. Both are recorded: a
// frozen worker is exempt from the client-view exclusion check.
func (f *Fleet) Freeze(w *Worker) {
	f.hist.Add(Event{W: w.ID, P: w.P, Op: OpStop})
	w.proc.Signal(syscall.SIGSTOP)
}

// Thaw resumes a frozen worker.
func (f *Fleet) Thaw(w *Worker) {
	w.proc.Signal(syscall.SIGCONT)
	f.hist.Add(Event{W: w.ID, P: w.P, Op: OpCont})
}

// StopAll asks every worker to stop (SIGTERM: it releases and exits) and
// waits; one that has not exited after grace is killed.
func (f *Fleet) StopAll(grace time.Duration) (killed int) {
	for _, w := range f.Workers {
		w.proc.Signal(syscall.SIGCONT)
		w.proc.Signal(syscall.SIGTERM)
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	expired := false
	for _, w := range f.Workers {
		if !expired {
			select {
			case <-w.proc.Exited():
				continue
			case <-deadline.C:
				expired = true
			}
		}
		select {
		case <-w.proc.Exited():
		default:
			f.Kill(w)
			killed++
		}
	}
	return killed
}

// Worker returns worker id.
func (f *Fleet) Worker(id int) *Worker { return f.Workers[id] }
