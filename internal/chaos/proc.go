package chaos

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Proc is one running OS process of the harness: an etcd member or a
// worker. Its stderr (and its stdout, if nobody reads it) goes to a log
// file; a worker's stdout lines go to onLine.
type Proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is reaped
	err    error
	reader sync.WaitGroup
}

// StartProc starts cmd.
func StartProc(cmd *exec.Cmd, logPath string, onLine func([]byte)) (*Proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	var out io.ReadCloser
	if onLine == nil {
		cmd.Stdout = logf
	} else {
		if out, err = cmd.StdoutPipe(); err != nil {
			logf.Close()
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	if out != nil {
		p.reader.Add(1)
		go p.readLines(out, onLine)
	}
	go func() {
		p.reader.Wait() // Wait closes the pipe: read it all first
		p.err = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *Proc) readLines(out io.Reader, onLine func([]byte)) {
	defer p.reader.Done()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		onLine(sc.Bytes())
	}
}

// Pid is the process id (ip netns exec execs the program in place).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig; a process that has exited ignores it.
func (p *Proc) Signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits until the process is gone.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.exited
}

// Exited is closed once the process has exited and its output was read.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is how the process exited (after Exited).
func (p *Proc) Err() error { return p.err }
