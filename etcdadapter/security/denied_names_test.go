package security_test

import (
	"strings"
	"testing"
)

// TestPermissionDeniedNamesTheKeys: when etcd refuses an operation, the
// error names the key or prefix it was refused on, so that an operator can
// tell from the error (or a log of it) which key range the user's role
// must cover and, with several adapters, which one failed.
func TestPermissionDeniedNamesTheKeys(t *testing.T) {
	t.Parallel()
	srv, root := authServer(t)
	base := testPrefix(t)
	prefix := base + "tenant-a/"
	outsider := newTenant(t, srv, root, base+"tenant-b/", readWrite)
	a := outsider.adapter(t, prefix)
	for _, op := range deniedOps() {
		err := op.call(testCtx(t), a, "job")
		if err == nil || !strings.Contains(err.Error(), prefix) {
			t.Errorf("%s refused: error %q does not name the prefix %q that the role lacks", op.name, err, prefix)
		}
	}
}
