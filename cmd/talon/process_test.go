package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file runs the real talon binary: built with `go build` (with -race
// when the tests are), started as a process on 127.0.0.1:0, stopped with
// SIGTERM or killed with SIGKILL.

// mustBuild builds cmd/talon into a temporary directory and returns its path.
func mustBuild(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "talon")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer is a bytes.Buffer safe for a process writing and a test reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a running talon process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{}
	err            error // set when done is closed
	url            string
}

// mustStart starts bin with args, with env added to the environment; the
// process is killed when the test ends.
func mustStart(tb testing.TB, bin string, stdin io.Reader, env []string, args ...string) *proc {
	tb.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Stdin = p.stdout, p.stderr, stdin
	p.cmd.Env = append(cleanEnv(), env...)
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// cleanEnv is the test's environment without TALON_* variables, so that a
// developer's settings do not leak into the processes under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALON_") {
			env = append(env, kv)
		}
	}
	return env
}

// mustServe starts `talon serve --addr 127.0.0.1:0 --data data` with extra
// flags and waits until it listens and answers /healthz.
func mustServe(tb testing.TB, bin, data string, extra ...string) *proc {
	tb.Helper()
	p := mustStart(tb, bin, nil, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, extra...)...)
	line := p.mustLog(tb, "listening")
	p.url = "http://" + line["addr"].(string)
	c := newClient(p.url)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _, err := c.do("GET", "/healthz", "", nil, nil)
		if err == nil && st == http.StatusOK {
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("/healthz: %d %v\n%s", st, err, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustLog waits for the JSON log line with msg and returns it.
func (p *proc) mustLog(tb testing.TB, msg string) map[string]any {
	tb.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if line := p.logLine(msg); line != nil {
			return line
		}
		select {
		case <-p.done:
			if line := p.logLine(msg); line != nil {
				return line
			}
			tb.Fatalf("talon exited (%v) before logging %q:\n%s%s", p.err, msg, p.stdout, p.stderr)
		case <-deadline:
			tb.Fatalf("talon did not log %q:\n%s", msg, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (p *proc) logLine(msg string) map[string]any {
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}

// mustStop sends SIGTERM and expects a clean exit (status 0, which a race
// found in the child would turn into 66).
func (p *proc) mustStop(tb testing.TB) {
	tb.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("talon did not stop on SIGTERM:\n%s", p.stderr)
	}
	if p.err != nil {
		tb.Fatalf("talon exited with %v:\n%s", p.err, p.stderr)
	}
}

// kill9 kills the process with SIGKILL, as a power cut would.
func (p *proc) kill9(tb testing.TB) {
	tb.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// wait waits for a one-shot command and returns its exit code.
func (p *proc) wait(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		tb.Fatalf("talon %v did not finish:\n%s", p.cmd.Args[1:], p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// mustRun runs a one-shot command and expects exit status want.
func mustRun(tb testing.TB, bin string, stdin io.Reader, want int, args ...string) (stdout, stderr string) {
	tb.Helper()
	return mustRunEnv(tb, bin, stdin, nil, want, args...)
}

// mustRunEnv is mustRun with env added to the environment.
func mustRunEnv(tb testing.TB, bin string, stdin io.Reader, env []string, want int, args ...string) (stdout, stderr string) {
	tb.Helper()
	p := mustStart(tb, bin, stdin, env, args...)
	if got := p.wait(tb); got != want {
		tb.Fatalf("talon %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, want, p.stdout, p.stderr)
	}
	return p.stdout.String(), p.stderr.String()
}

// client calls the HTTP API of a server under test.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{Timeout: 20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// do sends a JSON request and decodes a 2xx answer into out. It is safe for
// concurrent use and never fails the test itself.
func (c *client) do(method, path, token string, body, out any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return resp.StatusCode, b, nil
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(tb testing.TB, method, path, token string, body any, want int, out any) {
	tb.Helper()
	st, b, err := c.do(method, path, token, body, out)
	if err != nil || st != want {
		tb.Fatalf("%s %s: %d %v, want %d\n%s", method, path, st, err, want, b)
	}
}

// mustLogin logs in and returns the session token.
func (c *client) mustLogin(tb testing.TB, login, password string) string {
	tb.Helper()
	var s struct {
		Token string `json:"token"`
	}
	c.must(tb, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": password}, http.StatusOK, &s)
	if s.Token == "" {
		tb.Fatalf("login %s: no token", login)
	}
	return s.Token
}

// mustCredentials reads the demo credentials file and checks its mode.
func mustCredentials(tb testing.TB, data string) credentials {
	tb.Helper()
	path := filepath.Join(data, credentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		tb.Errorf("%s mode = %v, want 0600", path, got)
	}
	cr, err := readCredentials(path)
	if err != nil {
		tb.Fatal(err)
	}
	return cr
}
