package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// zkClasspath is where Debian's zookeeper package puts ZooKeeper and what
// it needs.
const zkClasspath = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"

// startZooKeeper starts ZooKeeper standalone (Debian's zookeeper, on the
// JRE) with its defaults: forceSync=yes, so each write is fsynced.
func startZooKeeper(dir string) (*system, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	port := ports[0]
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		return nil, fmt.Errorf("no ZooKeeper (apt-get install zookeeper): %w", err)
	}
	cfg := filepath.Join(dir, "zoo.cfg")
	conf := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nforceSync=yes\n"+
		"admin.enableServer=false\nmaxClientCnxns=0\n", filepath.Join(dir, "zookeeper"), port)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	addr := loopback(port)
	cmd, err := startServer(dir, "zookeeper", func() error { return zkReady(addr) }, "java",
		"-cp", zkClasspath, "-Dzookeeper.log.dir="+dir, "-Dzookeeper.root.logger=WARN,CONSOLE",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg)
	if err != nil {
		return nil, err
	}
	return &system{name: "ZooKeeper", server: cmd, stop: func() { stopProcess(cmd) },
		newClient: func() (client, error) { return newZKClient(addr) }}, nil
}

func zkReady(addr string) error {
	c, err := newZKClient(addr)
	if err != nil {
		return err
	}
	defer c.close()
	_, _, err = c.conn.Exists("/")
	return err
}

// zkClient is one ZooKeeper session; its locks are go-zookeeper's recipe
// (an ephemeral sequential node, each waiter watching the one before).
type zkClient struct{ conn *zk.Conn }

func newZKClient(addr string) (*zkClient, error) {
	conn, events, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		return nil, err
	}
	for ev := range events { // wait for the session
		if ev.State == zk.StateHasSession {
			break
		}
		if ev.State == zk.StateAuthFailed || ev.State == zk.StateExpired {
			conn.Close()
			return nil, fmt.Errorf("zookeeper session: %v", ev.State)
		}
	}
	go func() {
		for range events { // drained until Close closes it
		}
	}()
	return &zkClient{conn: conn}, nil
}

func (z *zkClient) lock(ctx context.Context, id string) (func(context.Context) error, error) {
	l := zk.NewLock(z.conn, "/peers/"+strings.ReplaceAll(id, "/", "_"), zk.WorldACL(zk.PermAll))
	if err := l.Lock(); err != nil {
		return nil, err
	}
	return func(context.Context) error { return l.Unlock() }, nil
}

func (z *zkClient) close() error { z.conn.Close(); return nil }

type quiet struct{}

func (quiet) Printf(string, ...any) {}
