package brokerlock

import "fmt"

// BrokerLock makes lock items on one Adapter. It is cheap, holds no state
// of its own and is safe for concurrent use.
type BrokerLock struct {
	adapter Adapter
}

// New returns a BrokerLock on adapter. It does not take ownership of the
// adapter: close the adapter yourself when you are done.
func New(adapter Adapter) *BrokerLock {
	return &BrokerLock{adapter: adapter}
}

// Item returns the lock named id with opts (zero fields take the
// defaults). It does no I/O. An empty id or invalid options make every
// call on the Item return an error wrapping ErrInvalid. Items with the
// same id exclude each other, in this process and in every other.
func (l *BrokerLock) Item(id string, opts Options) *Item {
	opts = opts.withDefaults()
	err := opts.validate()
	if id == "" {
		err = fmt.Errorf("%w: id %q: want a non-empty string", ErrInvalid, id)
	}
	return &Item{adapter: l.adapter, id: id, opts: opts, invalid: err}
}
