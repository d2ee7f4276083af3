package promlock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every watcher goroutine ends by the time its wrapper is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
