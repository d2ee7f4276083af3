package etcdadapter

import (
	"strconv"
	"strings"
)

// DefaultPrefix is where locks live unless WithPrefix says otherwise.
const DefaultPrefix = "brokerlock/"

// idEscaper keeps a lock id one path segment: lock "a" and lock "a/b"
// never see each other's keys. Nothing else is touched, so ids without
// '/' and '%' are the key prefix etcd's concurrency.Mutex and
// `etcdctl lock` use.
var idEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// escapeID returns the key segment of lock id: '%' becomes "%25" and '/'
// becomes "%2F"; every other byte stays as it is.
func escapeID(id string) string { return idEscaper.Replace(id) }

// idUnescaper undoes idEscaper; a '%' that starts no escape stays (keys
// written by other tools).
var idUnescaper = strings.NewReplacer("%2F", "/", "%25", "%")

// unescapeID returns the lock id of an escaped key segment: the inverse
// of escapeID.
func unescapeID(segment string) string { return idUnescaper.Replace(segment) }

// LockPrefix returns the etcd key prefix under which the holder and the
// waiters of lock id have their keys: prefix (ending in "/", as
// WithPrefix makes it), the id escaped ('%' becomes "%25", '/' becomes
// "%2F", nothing else changes), then "/". Pass it without the trailing
// "/" to concurrency.NewMutex, concurrency.NewElection, `etcdctl lock` or
// `etcdctl elect` to share the lock or election with them.
func LockPrefix(prefix, id string) string { return normalPrefix(prefix) + escapeID(id) + "/" }

// waiterKey names one acquisition's key: the lease in hex as etcd's Mutex
// does, and a slot number when the lease has several keys under the lock.
func waiterKey(lockPrefix string, lease int64, slot int) string {
	b := make([]byte, 0, len(lockPrefix)+24)
	b = strconv.AppendInt(append(b, lockPrefix...), lease, 16)
	if slot != 0 {
		b = strconv.AppendInt(append(b, '_'), int64(slot), 10)
	}
	return string(b)
}
