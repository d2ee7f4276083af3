package etcdadapter

import (
	"strings"
	"testing"
)

func TestEscapeID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"a", "a"},
		{"a/b", "a%2Fb"},
		{"a%2Fb", "a%252Fb"},
		{"%", "%25"},
		{"x y\x00ü", "x y\x00ü"},
	}
	for _, tt := range tests {
		if got := escapeID(tt.id); got != tt.want {
			t.Errorf("escapeID(%q): got %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestUnescapeID(t *testing.T) {
	for _, id := range []string{"job", "a/b", "%", "%2F", "%252F/x%", ""} {
		if got := unescapeID(escapeID(id)); got != id {
			t.Errorf("unescapeID(escapeID(%q)) = %q, want %q", id, got, id)
		}
	}
}

// FuzzEscapeID: escaping round-trips, and for ids a != b neither lock's
// key prefix is a prefix of the other's, so no lock sees another's keys.
func FuzzEscapeID(f *testing.F) {
	for _, s := range [][2]string{{"a", "a/b"}, {"a/b", "a%2Fb"}, {"%", "%25"}, {"a", "a/"}, {"", "x"}, {"ü", "\x00"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := unescapeID(escapeID(a)); got != a {
			t.Errorf("round trip of %q: got %q", a, got)
		}
		if strings.Contains(escapeID(a), "/") {
			t.Errorf("escapeID(%q) = %q contains '/'", a, escapeID(a))
		}
		if a == b || a == "" || b == "" {
			return
		}
		pa, pb := LockPrefix("p/", a), LockPrefix("p/", b)
		if strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa) {
			t.Errorf("lock prefixes of %q and %q overlap: %q, %q", a, b, pa, pb)
		}
	})
}
