package chaos

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

type (
	opRead  struct{}
	opIncr  struct{ from int64 }
	outRead struct{ val int64 }
	outIncr struct{ ok bool }
)

// counterModel is the guarded counter: a read returns it, an increment
// from n applies only at n. A refusal (by the fence or because the
// counter moved) changes nothing.
var counterModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		st := state.(int64)
		switch in := input.(type) {
		case opRead:
			return output.(outRead).val == st, st
		case opIncr:
			if output.(outIncr).ok {
				return st == in.from, st + 1
			}
			return true, st
		}
		return false, st
	},
	DescribeOperation: func(input, output any) string {
		if in, ok := input.(opIncr); ok {
			return fmt.Sprintf("incr(%d) -> %v", in.from, output.(outIncr).ok)
		}
		return fmt.Sprintf("read() -> %d", output.(outRead).val)
	},
}

// checkLinearizable checks the counter's reads and increments with
// porcupine: one client per worker process; an increment whose answer
// was lost counts as applied (never returning) if the server has it, and
// is left out if not.
func checkLinearizable(res *Result, events []Event, applied map[string]int64) {
	var ops []porcupine.Operation
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Mark] = true
		op := porcupine.Operation{ClientId: ev.W*1000 + ev.P, Call: ev.Call, Return: ev.T}
		switch {
		case ev.Op == OpRead && ev.Err == "":
			op.Input, op.Output = opRead{}, outRead{ev.Val}
		case ev.Op == OpWrite && ev.Outcome == Unknown:
			if _, ok := applied[ev.Mark]; !ok {
				continue
			}
			op.Input, op.Output, op.Return = opIncr{ev.From}, outIncr{true}, math.MaxInt64/2
		case ev.Op == OpWrite:
			op.Input, op.Output = opIncr{ev.From}, outIncr{ev.Outcome == Applied}
		default:
			continue
		}
		ops = append(ops, op)
	}
	ops = append(ops, unlogged(events, applied, seen)...)
	switch porcupine.CheckOperationsTimeout(counterModel, ops, time.Minute) {
	case porcupine.Ok:
		res.Linearizable = "ok"
	case porcupine.Illegal:
		res.Linearizable = "NO"
		res.Violations = append(res.Violations, Violation{Check: "linearizable", W: -1,
			Text: fmt.Sprintf("the counter's history of %d operations is not linearizable", len(ops))})
	default:
		res.Linearizable = "unknown (timeout)"
	}
}

// unlogged are the increments the server applied that no log has: their
// worker was killed before it could log the answer. Each is a client of
// its own, called when its hold was acquired, never returning.
func unlogged(events []Event, applied map[string]int64, seen map[string]bool) []porcupine.Operation {
	acquired := map[string]int64{} // "token key": when
	for _, ev := range events {
		if ev.Op == OpAcquired {
			acquired[fmt.Sprintf("%d %s", ev.Token, ev.Key)] = ev.T
		}
	}
	var ops []porcupine.Operation
	for mark := range applied {
		f := strings.Fields(mark)
		if seen[mark] || len(f) != 5 {
			continue // logged, or not the counter's
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		ops = append(ops, porcupine.Operation{ClientId: 1_000_000 + len(ops), Input: opIncr{n - 1}, Output: outIncr{true},
			Call: acquired[f[3]+" "+f[4]], Return: math.MaxInt64 / 2})
	}
	return ops
}
