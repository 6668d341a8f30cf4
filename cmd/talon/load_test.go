package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestLoadCountsWhatTheServerRecorded runs `talon load` in cycle mode against
// a real server and checks its figures against the server's own report:
// every ticket the tool counts as issued is in the journal, and the windows
// really served visitors.
func TestLoadCountsWhatTheServerRecorded(t *testing.T) {
	bin := mustBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	p := mustServe(t, bin, data, "--demo")
	cr := mustCredentials(t, data)

	out, _ := mustRun(t, bin, nil, exitOK, "load", "--url", p.url, "--credentials", filepath.Join(data, credentialsFile),
		"--mode", "cycle", "--clients", "8", "--duration", "2s")
	t.Logf("talon load:\n%s", out)
	issued := mustFigure(t, out, `(?m)^issue\s+(\d+) ok\s+\d+/s\s+p50\s+[\d.]+ms\s+p99\s+[\d.]+ms`)
	served := mustFigure(t, out, `(?m)^served\s+(\d+) visitors served at 6 windows`)
	if regexp.MustCompile(`errors:`).MatchString(out) {
		t.Errorf("load reported errors against a healthy server:\n%s", out)
	}
	if issued < 50 || served < 5 {
		t.Errorf("issued %d, served %d in 2 s: the tool hardly ran", issued, served)
	}

	c := newClient(p.url)
	day := time.Now().UTC()
	var rep struct {
		Total struct{ Issued, Served int } `json:"total"`
	}
	c.must(t, "GET", fmt.Sprintf("/api/v1/offices/%s/reports/queue?from=%s&to=%s&by=service", cr.Office,
		day.AddDate(0, 0, -1).Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly)), cr.APIKey, nil, http.StatusOK, &rep)
	if rep.Total.Issued != issued {
		t.Errorf("the server recorded %d tickets, the load tool counted %d", rep.Total.Issued, issued)
	}
	if rep.Total.Served < served {
		t.Errorf("the server recorded %d served, the load tool counted %d", rep.Total.Served, served)
	}
}

func TestLoadRefusesBadURL(t *testing.T) {
	c, _, errb := newTestCLI(nil)
	creds := filepath.Join(t.TempDir(), credentialsFile)
	if err := os.WriteFile(creds, []byte(`{"office":"x","api_key":"k"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := c.run(t.Context(), []string{"load", "--url", "ftp://example", "--credentials", creds}); got != exitUsage {
		t.Errorf("exit %d, want %d (usage): %s", got, exitUsage, errb)
	}
}

func mustFigure(tb testing.TB, out, pattern string) int {
	tb.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		tb.Fatalf("no %s in:\n%s", pattern, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestDebugAddrIsLoopbackOnly: profiles describe requests, so they are
// served only on this machine.
func TestDebugAddrIsLoopbackOnly(t *testing.T) {
	c, _, errb := newTestCLI(nil)
	if got := c.run(t.Context(), []string{"serve", "--data", t.TempDir(), "--debug-addr", "0.0.0.0:0"}); got != exitUsage {
		t.Errorf("--debug-addr 0.0.0.0:0: exit %d, want %d: %s", got, exitUsage, errb)
	}
	addr, err := serveDebug("127.0.0.1:0")
	if err != nil {
		t.Fatalf("loopback debug address refused: %v", err)
	}
	res, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/debug/pprof/goroutine: %d, want 200", res.StatusCode)
	}
	// A rebinding page on the same machine sends its own host name.
	req, _ := http.NewRequest("GET", "http://"+addr+"/debug/pprof/cmdline", nil)
	req.Host = "attacker.example"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("profiler with Host attacker.example: %d, want 403", res.StatusCode)
	}
}
