package etcdadapter_test

import (
	"strings"
	"testing"

	"github.com/brokerlock/brokerlock/etcdadapter"
)

var unescapeID = strings.NewReplacer("%2F", "/", "%25", "%")

// FuzzEscapeID: escaping round-trips, and for ids a != b neither lock's
// key prefix is a prefix of the other's, so no lock sees another's keys.
func FuzzEscapeID(f *testing.F) {
	for _, s := range [][2]string{{"a", "a/b"}, {"a/b", "a%2Fb"}, {"%", "%25"}, {"a", "a/"}, {"", "x"}, {"ü", "\x00"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := unescapeID.Replace(etcdadapter.EscapeID(a)); got != a {
			t.Errorf("round trip of %q: got %q", a, got)
		}
		if strings.Contains(etcdadapter.EscapeID(a), "/") {
			t.Errorf("EscapeID(%q) = %q contains '/'", a, etcdadapter.EscapeID(a))
		}
		if a == b || a == "" || b == "" {
			return
		}
		pa, pb := etcdadapter.LockPrefix("p/", a), etcdadapter.LockPrefix("p/", b)
		if strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa) {
			t.Errorf("lock prefixes of %q and %q overlap: %q, %q", a, b, pa, pb)
		}
	})
}
