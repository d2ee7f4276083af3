package brokerlock

import "errors"

// The errors every call may return, wrapped with %w and a message that
// names the lock. Match them with errors.Is.
var (
	// ErrTimeout: Acquire, Hold or Do waited Options.Timeout without getting
	// the lock. errors.Is(err, context.DeadlineExceeded) is true as well.
	ErrTimeout = errors.New("brokerlock: timed out waiting for the lock")

	// ErrLocked: TryHold found the lock held by someone else.
	ErrLocked = errors.New("brokerlock: locked by someone else")

	// ErrAlreadyAcquired: Item.Acquire or Item.Try while this Item already
	// holds the lock, or while another Acquire on it is in flight
	// (Deepkit's BrokerLockError).
	ErrAlreadyAcquired = errors.New("brokerlock: item already acquired")

	// ErrLockLost: the hold ended without Release: its TTL ran out, its
	// lease expired or was revoked, its key was deleted, or the adapter
	// could not reach the server for longer than the TTL allows.
	ErrLockLost = errors.New("brokerlock: lock lost")

	// ErrInvalid: a bad id or option. The wrapping message names the field
	// and the value.
	ErrInvalid = errors.New("brokerlock: invalid argument")

	// ErrReleased: Hold.Err after Release.
	ErrReleased = errors.New("brokerlock: released")

	// ErrNoLeader: Election.Leader found nobody leading the election.
	ErrNoLeader = errors.New("brokerlock: no leader")

	// ErrPermission: the backend refused the request for lack of
	// permission or authentication (etcd: the backend's own error is
	// wrapped too). Election.Run returns it instead of retrying.
	ErrPermission = errors.New("brokerlock: permission denied")

	// ErrClosed: the adapter was closed; returned by every call after
	// Close, and to waiters that Close woke up.
	ErrClosed = errors.New("brokerlock: adapter closed")
)
