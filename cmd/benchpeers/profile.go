package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"
)

// profiled runs measure, the first round of scenario sc on s, while it
// writes CPU profiles to dir: the clients' (this process's, with
// runtime/pprof) as SYSTEM-SCENARIO-client.pprof and, for a server that
// serves pprof (etcd, with --enable-pprof), the server's as
// SYSTEM-SCENARIO-server.pprof. Read them with `go tool pprof`.
func profiled(dir string, s *system, sc scenario, d time.Duration, measure func() (measurement, error)) (measurement, error) {
	base := filepath.Join(dir, strings.ReplaceAll(s.name, " ", "-")+"-"+sc.name)
	server := make(chan error, 1)
	if s.pprofURL != "" {
		go func() { server <- fetchProfile(s.pprofURL, d, base+"-server.pprof") }()
	} else {
		server <- nil
	}
	f, err := os.Create(base + "-client.pprof")
	if err != nil {
		return measurement{}, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return measurement{}, err
	}
	m, err := measure()
	pprof.StopCPUProfile()
	if err != nil {
		return m, err
	}
	return m, <-server
}

// fetchProfile writes the CPU profile of d that the server at url (its
// /debug/pprof/profile endpoint) takes to path.
func fetchProfile(url string, d time.Duration, path string) error {
	resp, err := http.Get(fmt.Sprintf("%s?seconds=%d", url, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
