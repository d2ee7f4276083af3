package etcdadapter

import (
	"container/heap"
	"sync"
)

// slotPool hands out small numbers that name an acquisition's key under
// its lease. A number comes back only once its key is deleted, so no two
// live acquisitions share a key, and names are reused: etcd keeps every
// deleted key in its index until compaction, and endlessly new names
// would slow down every range over a lock's prefix.
// The smallest free number goes first, so the names in use stay few.
type slotPool struct {
	mu   sync.Mutex
	free intHeap
	next int
}

func (p *slotPool) take() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free.Len() > 0 {
		return heap.Pop(&p.free).(int)
	}
	p.next++
	return p.next - 1
}

func (p *slotPool) put(s int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	heap.Push(&p.free, s)
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
