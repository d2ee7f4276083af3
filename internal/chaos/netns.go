package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// The test hosts' subnet and the names of what Net makes. Nothing outside
// this subnet is ever a destination: a host namespace has no other route,
// and the root namespace blackholes the subnet behind the bridge's own
// route, so a host whose link is down is dropped here rather than sent
// along the default route.
const (
	subnet     = "10.213.7.0/26"
	bridgeIP   = "10.213.7.1"
	subnetBits = "/26"
	hostIPBase = 10 // host i gets 10.213.7.(10+i)
	namePrefix = "blch"
)

// Net is a set of test hosts, each in its own network namespace with a
// veth on one bridge in the root namespace. Links are cut with routes
// inside the namespaces (blackhole routes to a peer's address: one-way or
// both ways) and with link state (a host's veth down: cut from everyone).
type Net struct {
	mu    sync.Mutex
	hosts []*Host
	cuts  map[[2]int]bool // from, to: a blackhole route in from's namespace
	down  map[int]bool
	local bool
}

// Host is one test host. Without namespaces (Local) every host is
// 127.0.0.1 and nothing can be cut.
type Host struct {
	Name string
	NS   string // "" for a Local host
	IP   string
	veth string // root side of the host's veth
	i    int
}

// Command runs path in the host's namespace.
func (h *Host) Command(path string, args ...string) *exec.Cmd {
	if h.NS == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, path}, args...)...)
}

// NetnsAvailable reports why network namespaces cannot be used here, or
// nil if they can (root, the ip command, a namespace that can be made).
func NetnsAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("not root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("no ip command (iproute2)")
	}
	ns := namePrefix + "-probe"
	if err := ip("netns", "add", ns); err != nil {
		return err
	}
	return ip("netns", "del", ns)
}

// NewLocalNet is the fallback without namespaces: every host is
// 127.0.0.1, and every cut fails with ErrNoNetns.
func NewLocalNet() *Net { return &Net{local: true, cuts: map[[2]int]bool{}, down: map[int]bool{}} }

// ErrNoNetns is what a cut returns on a Local net.
var ErrNoNetns = errors.New("chaos: no network namespaces: partitions cannot run")

// NewNet makes the bridge and the subnet's blackhole route, after removing
// whatever an earlier run that was killed left behind.
func NewNet() (*Net, error) {
	Cleanup()
	n := &Net{cuts: map[[2]int]bool{}, down: map[int]bool{}}
	br := namePrefix + "br"
	steps := [][]string{
		{"route", "add", "blackhole", subnet, "metric", "4242"},
		{"link", "add", br, "type", "bridge"},
		{"addr", "add", bridgeIP + subnetBits, "dev", br},
		{"link", "set", br, "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			Cleanup()
			return nil, err
		}
	}
	return n, nil
}

// AddHost makes a namespace with a veth on the bridge.
func (n *Net) AddHost(name string) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i := len(n.hosts)
	if n.local {
		h := &Host{Name: name, IP: "127.0.0.1", i: i}
		n.hosts = append(n.hosts, h)
		return h, nil
	}
	h := &Host{Name: name, NS: fmt.Sprintf("%s-%s", namePrefix, name),
		IP: fmt.Sprintf("10.213.7.%d", hostIPBase+i), veth: fmt.Sprintf("%sv%d", namePrefix, i), i: i}
	peer := h.veth + "p"
	steps := [][]string{
		{"netns", "add", h.NS},
		{"link", "add", h.veth, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", h.NS},
		{"link", "set", h.veth, "master", namePrefix + "br"},
		{"link", "set", h.veth, "up"},
		{"-n", h.NS, "addr", "add", h.IP + subnetBits, "dev", peer},
		{"-n", h.NS, "link", "set", peer, "up"},
		{"-n", h.NS, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
	}
	n.hosts = append(n.hosts, h)
	return h, nil
}

// CutOneWay drops what from sends to to (to's packets still reach from;
// from's answers do not).
func (n *Net) CutOneWay(from, to *Host) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.local {
		return ErrNoNetns
	}
	if n.cuts[[2]int{from.i, to.i}] {
		return nil
	}
	n.cuts[[2]int{from.i, to.i}] = true
	return ip("-n", from.NS, "route", "add", "blackhole", to.IP+"/32")
}

// Cut drops everything between a and b, both ways.
func (n *Net) Cut(a, b *Host) error {
	return errors.Join(n.CutOneWay(a, b), n.CutOneWay(b, a))
}

// Partition cuts every host of one side from every host of the other.
func (n *Net) Partition(side1, side2 []*Host) error {
	var errs []error
	for _, a := range side1 {
		for _, b := range side2 {
			errs = append(errs, n.Cut(a, b))
		}
	}
	return errors.Join(errs...)
}

// SetLink takes h's link down (cut from everyone) or up.
func (n *Net) SetLink(h *Host, up bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.local {
		return ErrNoNetns
	}
	n.down[h.i] = !up
	state := "down"
	if up {
		state = "up"
	}
	return ip("link", "set", h.veth, state)
}

// Heal removes every cut and brings every link up.
func (n *Net) Heal() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for c := range n.cuts {
		from, to := n.hosts[c[0]], n.hosts[c[1]]
		errs = append(errs, ip("-n", from.NS, "route", "del", "blackhole", to.IP+"/32"))
	}
	clear(n.cuts)
	for i, d := range n.down {
		if d {
			errs = append(errs, ip("link", "set", n.hosts[i].veth, "up"))
		}
	}
	clear(n.down)
	return errors.Join(errs...)
}

// Cleanup removes every namespace, link and route that Net makes (also
// those of an earlier run that was killed). Errors are ignored: what is
// not there needs no removing.
func Cleanup() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], namePrefix+"-") {
			_ = ip("netns", "del", f[0])
		}
	}
	out, _ = exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], namePrefix) {
			_ = ip("link", "del", strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
		}
	}
	for ip("route", "del", "blackhole", subnet, "metric", "4242") == nil {
	}
}

func ip(args ...string) error {
	out, err := exec.CommandContext(context.Background(), "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
