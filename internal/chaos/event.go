package chaos

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Op names what an Event records.
type Op string

// What workers record (one JSON line each, on their stdout) and what the
// harness records about its faults.
const (
	OpAcquired Op = "acquired" // Hold/Campaign returned a hold: Call..T, Key, Token
	OpHoldFail Op = "holdfail" // Hold/Campaign failed: Call..T, Err
	OpDone     Op = "done"     // the hold's Done was seen closed: Err (empty after a Release)
	OpRelease  Op = "release"  // Release/Resign called (its Done closes inside the call)
	OpReleased Op = "released" // Release/Resign returned: Err
	OpWrite    Op = "write"    // a fenced write: Call..T, Outcome, Rev, Late
	OpRead     Op = "read"     // a read: Call..T, Val (counter, unfenced) or A, B (RW pair, fenced: Outcome), Rev
	OpExit     Op = "exit"     // the worker stopped by itself (SIGTERM), everything released

	OpFault Op = "fault" // the harness started a scenario's fault: What, Target
	OpHeal  Op = "heal"  // the harness ended the scenario's fault
	OpKill  Op = "kill"  // the harness SIGKILLed worker W's process P
	OpStop  Op = "stop"  // the harness SIGSTOPped worker W's process P
	OpCont  Op = "cont"  // the harness SIGCONTed worker W's process P
)

// Outcomes of a write.
const (
	Applied = "applied" // Succeeded
	Refused = "refused" // not Succeeded: the fence (or the counter's revision) said no
	Unknown = "unknown" // the answer was lost: applied or not
)

// Event is one line of a run's history. Times are Unix nanoseconds on the
// machine's clock, which every process of a run shares.
type Event struct {
	T       int64  `json:"t"`
	Call    int64  `json:"call,omitempty"`
	W       int    `json:"w"` // worker; -1 for the harness
	P       int    `json:"p"` // the worker's process (incarnation), stamped by the harness
	Op      Op     `json:"op"`
	Seq     int    `json:"seq,omitempty"` // the worker's hold number
	Key     string `json:"key,omitempty"`
	Token   int64  `json:"token,omitempty"`
	Shared  bool   `json:"shared,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Rev     int64  `json:"rev,omitempty"`
	From    int64  `json:"from,omitempty"` // counter value a write read
	FromRev int64  `json:"fromrev,omitempty"`
	Val     int64  `json:"val,omitempty"`
	A       string `json:"a,omitempty"`
	B       string `json:"b,omitempty"`
	Late    bool   `json:"late,omitempty"` // written (or read) after the hold's Done closed
	Mark    string `json:"mark,omitempty"` // a write's unique value (its key in the server's history)
	Err     string `json:"err,omitempty"`
	What    string `json:"what,omitempty"`
	Target  string `json:"target,omitempty"`
}

// At is the event's time.
func (e Event) At() time.Time { return time.Unix(0, e.T) }

// Log writes Events as JSON lines; safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewLog writes to w.
func NewLog(w io.Writer) *Log { return &Log{enc: json.NewEncoder(w)} }

// Add stamps ev with the current time (unless set) and writes it.
func (l *Log) Add(ev Event) {
	if ev.T == 0 {
		ev.T = time.Now().UnixNano()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.enc.Encode(ev)
}
