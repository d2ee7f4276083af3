package brokerlock

import (
	"fmt"
	"strings"
)

// callError is the error of one call on one lock, semaphore, RWLock or
// election. It names them once ("brokerlock: lock \"x\": release: ") and
// then says what went wrong without the "brokerlock: " that the sentinel
// errors carry, so a message has one prefix: `brokerlock: lock "x":
// locked by someone else (holder's token 7)`. errors.Is sees the cause.
type callError struct {
	context string // e.g. `lock "x": release`
	err     error
}

func (e *callError) Error() string {
	return "brokerlock: " + e.context + ": " + strings.TrimPrefix(e.err.Error(), "brokerlock: ")
}

func (e *callError) Unwrap() error { return e.err }

// callErr wraps err with the context format and args describe.
func callErr(err error, format string, args ...any) error {
	return &callError{context: fmt.Sprintf(format, args...), err: err}
}
