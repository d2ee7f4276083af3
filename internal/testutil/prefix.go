package testutil

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

var prefixSeq atomic.Int64

// KeyPrefix returns a key prefix under root that no other test of the
// process uses: root, the test's name ("/" and " " as "_"), a sequence
// number, "/".
func KeyPrefix(t testing.TB, root string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s%s-%d/", root, name, prefixSeq.Add(1))
}
