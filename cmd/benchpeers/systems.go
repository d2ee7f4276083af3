package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// system is one lock implementation on its server.
type system struct {
	name      string
	server    *exec.Cmd // its pid is the server's, for CPU
	newClient func() (client, error)
	stop      func()
	pprofURL  string // the server's CPU profile endpoint, if it has one
}

// client is one connection (or session) to a server, as one process
// would have.
type client interface {
	// lock takes lock id, waiting while another holds it, and returns
	// what releases it.
	lock(ctx context.Context, id string) (unlock func(context.Context) error, err error)
	close() error
}

// startSystems starts every server it can and returns the systems on
// them; one that cannot start is skipped with a message.
func startSystems(dir, etcdBin string) []*system {
	var systems []*system
	if etcd, err := startEtcd(dir, etcdBin); err != nil {
		fmt.Fprintf(os.Stderr, "benchpeers: skipping brokerlock and etcd Mutex: %v\n", err)
	} else {
		systems = append(systems, brokerlockOn(etcd), mutexOn(etcd))
	}
	if zk, err := startZooKeeper(dir); err != nil {
		fmt.Fprintf(os.Stderr, "benchpeers: skipping ZooKeeper: %v\n", err)
	} else {
		systems = append(systems, zk)
	}
	if r, err := startRedis(dir); err != nil {
		fmt.Fprintf(os.Stderr, "benchpeers: skipping Redis: %v\n", err)
	} else {
		systems = append(systems, r)
	}
	return systems
}

// server is a server process and the address it serves on.
type server struct {
	cmd  *exec.Cmd
	addr string
}

// pprofURL is an etcd server's CPU profile endpoint (--enable-pprof).
func (s *server) pprofURL() string { return "http://" + s.addr + "/debug/pprof/profile" }

// startServer starts name (args) with its output in dir/name.log and waits
// until ready says it serves.
func startServer(dir, name string, ready func() error, path string, args ...string) (*exec.Cmd, error) {
	if _, err := exec.LookPath(path); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop takes its children too
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		err := ready()
		if err == nil {
			return cmd, nil
		}
		if time.Now().After(deadline) {
			stopProcess(cmd)
			return nil, fmt.Errorf("%s not ready after 30s: %v (log: %s)", name, err, log.Name())
		}
	}
}

// stopProcess ends cmd's process group and waits for it.
func stopProcess(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// freePorts returns n distinct loopback ports nothing listens on now.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // held until all are picked: no port twice
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }
