package etcdadapter

import "sync"

// slotPool hands out small numbers that name an acquisition's key under
// its lease. A number comes back only once its key is deleted, so no two
// live acquisitions share a key, and names are reused: etcd keeps every
// deleted key in its index until compaction, and endlessly new names
// would slow down every range over a lock's prefix.
type slotPool struct {
	mu   sync.Mutex
	free []int
	next int
}

func (p *slotPool) take() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	p.next++
	return p.next - 1
}

func (p *slotPool) put(s int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, s)
}
