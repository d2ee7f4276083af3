package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Member is one etcd process on its own host, with its own data dir.
type Member struct {
	Name      string
	Host      *Host
	ClientURL string
	PeerURL   string
	dataDir   string
	logPath   string
	proc      *Proc
}

// Cluster is a cluster of real etcd processes.
type Cluster struct {
	bin     string
	Members []*Member
	initial string // --initial-cluster
}

// NewCluster describes one member per host; Start starts them.
func NewCluster(bin, dir string, hosts []*Host) (*Cluster, error) {
	c := &Cluster{bin: bin}
	var initial []string
	for i, h := range hosts {
		cport, pport, err := memberPorts(h)
		if err != nil {
			return nil, err
		}
		m := &Member{Name: fmt.Sprintf("m%d", i+1), Host: h,
			ClientURL: fmt.Sprintf("http://%s:%d", h.IP, cport),
			PeerURL:   fmt.Sprintf("http://%s:%d", h.IP, pport),
			dataDir:   filepath.Join(dir, fmt.Sprintf("m%d.etcd", i+1)),
			logPath:   filepath.Join(dir, fmt.Sprintf("m%d.log", i+1))}
		c.Members = append(c.Members, m)
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	c.initial = strings.Join(initial, ",")
	return c, nil
}

// memberPorts are etcd's own ports on a host of its own, free ports on a
// Local host.
func memberPorts(h *Host) (int, int, error) {
	if h.NS != "" {
		return 2379, 2380, nil
	}
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return ports[0], ports[1], nil
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.Members {
		eps = append(eps, m.ClientURL)
	}
	return eps
}

// Start starts m (again: a restarted member recovers from its data dir).
func (c *Cluster) Start(m *Member) error {
	cmd := m.Host.Command(c.bin,
		"--name", m.Name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
		"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
		"--initial-cluster", c.initial, "--initial-cluster-state", "new",
		"--initial-cluster-token", "brokerlock-chaos",
		"--heartbeat-interval", "100", "--election-timeout", "1000",
		"--logger", "zap", "--log-level", "warn", "--log-outputs", "stderr")
	p, err := StartProc(cmd, m.logPath, nil)
	if err != nil {
		return fmt.Errorf("start etcd %s: %w", m.Name, err)
	}
	m.proc = p
	return nil
}

// StartAll starts every member and waits until the cluster answers.
func (c *Cluster) StartAll(ctx context.Context) error {
	for _, m := range c.Members {
		if err := c.Start(m); err != nil {
			return err
		}
	}
	_, err := c.Leader(ctx)
	return err
}

// Client is a client of the harness itself (the root namespace reaches
// every host).
func (c *Cluster) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second, Logger: zap.NewNop()})
}

// Leader asks every member that answers who leads, until one does or ctx
// is done.
func (c *Cluster) Leader(ctx context.Context) (*Member, error) {
	cli, err := c.Client()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	for {
		for _, m := range c.Members {
			sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			st, err := cli.Status(sctx, m.ClientURL)
			cancel()
			if err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no etcd leader: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Followers are the members other than leader.
func (c *Cluster) Followers(leader *Member) []*Member {
	var fs []*Member
	for _, m := range c.Members {
		if m != leader {
			fs = append(fs, m)
		}
	}
	return fs
}

// Stop kills every member and waits for them.
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		if m.proc != nil {
			m.proc.Signal(syscall.SIGCONT)
			m.proc.Kill()
		}
	}
}

// Version is what the etcd binary says of itself.
func Version(bin string) (string, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if v, ok := strings.CutPrefix(first, "etcd Version: "); ok {
		return v, nil
	}
	return "", errors.New("etcd --version: " + first)
}

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }
