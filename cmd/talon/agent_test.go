package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talon-queue/talon/integrations/agent"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
)

// alphaFrame is a frame of the Alpha sign protocol (profile alpha-betabrite),
// written out here by hand from the protocol document rather than with the
// encoder under test: five NULs, SOH, type 'Z', the address as two hex
// digits, STX, "AA" (write text file A), ESC, ' ' (middle line), the mode
// ('b' hold, 'c' flash), the text, ETX, the sum of STX…ETX as four hex
// digits, EOT.
func alphaFrame(addr int, mode byte, text string) []byte {
	b := []byte{0, 0, 0, 0, 0, 0x01, 'Z'}
	b = fmt.Appendf(b, "%02X", addr)
	body := append([]byte{0x02, 'A', 'A', 0x1b, ' ', mode}, text...)
	body = append(body, 0x03)
	sum := 0
	for _, c := range body {
		sum += int(c)
	}
	b = append(b, body...)
	b = fmt.Appendf(b, "%04X", sum&0xffff)
	return append(b, 0x04)
}

// alphaText is a demo ticket number as the Alpha sign shows it: its font
// has no Cyrillic, so the letter becomes its Latin look-alike.
func alphaText(tb testing.TB, number string) string {
	tb.Helper()
	r := strings.NewReplacer("А", "A", "Б", "B", "В", "B")
	out := r.Replace(number)
	for _, c := range out {
		if c > 0x7f {
			tb.Fatalf("number %q: no Latin look-alike in this test for %q", number, c)
		}
	}
	return out
}

// logLines returns the JSON log lines with msg, in order.
func (p *proc) logLines(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// mustLogN waits for the n-th JSON log line with msg and returns it.
func (p *proc) mustLogN(tb testing.TB, msg string, n int) map[string]any {
	tb.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if lines := p.logLines(msg); len(lines) >= n {
			return lines[n-1]
		}
		select {
		case <-p.done:
			if lines := p.logLines(msg); len(lines) >= n {
				return lines[n-1]
			}
			tb.Fatalf("talon exited (%v) before logging %q %d times:\n%s%s", p.err, msg, n, p.stdout, p.stderr)
		case <-deadline:
			tb.Fatalf("talon did not log %q %d times:\n%s", msg, n, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// The real binary end to end: `talon serve --demo`, `talon agent` with two
// window displays on socat pseudo-terminals, op1 calling at window 1 over
// the API, and the server killed and started again under the running agent.
func TestAgentDrivesWindowDisplays(t *testing.T) {
	bin := mustBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	srv := mustServe(t, bin, data, "--demo")
	cr := mustCredentials(t, data)
	c := newClient(srv.url)

	p1, p2 := serialtest.MustPair(t, "", ""), serialtest.MustPair(t, "", "")
	win1, win2 := serialtest.MustOpen(t, p1.Far), serialtest.MustOpen(t, p2.Far)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "agent.token"), []byte(cr.Devices.Agent+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(conf, []byte(mustJSON(t, map[string]any{
		"server": srv.url, "office": demoOffice, "token_file": "agent.token", "blink_for": "300ms",
		"displays": []map[string]any{
			{"window": 1, "port": p1.Near, "profile": "alpha-betabrite", "address": 1},
			{"window": 2, "port": p2.Near, "profile": "alpha-betabrite", "address": 2},
		},
	})), 0o644); err != nil {
		t.Fatal(err)
	}
	ag := mustStart(t, bin, nil, nil, "agent", "--config", conf, "--log-level", "debug")
	if line := ag.mustLogN(t, "in sync", 1); line["from"] != "snapshot" {
		t.Errorf("first sync %v, want from a snapshot", line)
	}
	clear1, clear2 := alphaFrame(1, 'b', " "), alphaFrame(2, 'b', " ")
	win1.Expect(t, clear1)
	win2.Expect(t, clear2)

	// op1 calls the next visitor to window 1: it blinks, then stays lit.
	callNext := func() string {
		t.Helper()
		op1 := c.mustLogin(t, cr.Operators[0].Login, cr.Operators[0].Password)
		c.must(t, "POST", "/api/v1/offices/mfc-demo/tickets", cr.Devices.Kiosk, map[string]string{"service": "passport"}, http.StatusCreated, nil)
		var call struct{ Ticket struct{ ID, Number string } }
		c.must(t, "POST", "/api/v1/offices/mfc-demo/windows/1/call-next", op1, nil, http.StatusOK, &call)
		if call.Ticket.Number == "" {
			t.Fatal("call-next: no ticket number")
		}
		return call.Ticket.ID + " " + call.Ticket.Number
	}
	id, number, _ := strings.Cut(callNext(), " ")
	text := alphaText(t, number)
	if skipped := win1.Expect(t, alphaFrame(1, 'c', text)); len(bytes.ReplaceAll(skipped, clear1, nil)) != 0 {
		t.Errorf("window 1 got % x before the blink", skipped)
	}
	win1.Expect(t, alphaFrame(1, 'b', text))

	// The visit ends: the display goes blank.
	op1 := c.mustLogin(t, cr.Operators[0].Login, cr.Operators[0].Password)
	c.must(t, "POST", "/api/v1/tickets/"+url.PathEscape(id)+"/finish", op1, map[string]string{"result": "accepted"}, http.StatusOK, nil)
	win1.Expect(t, clear1)

	// The server dies under the agent and comes back on the same address and
	// data: the agent reconnects with the Seq it has (a replay and a view,
	// not a snapshot) and shows the next call.
	srv.kill9(t)
	ag.mustLogN(t, "connection lost; reconnecting", 1)
	addr := strings.TrimPrefix(srv.url, "http://")
	srv = mustServe(t, bin, data, "--demo", "--addr", addr)
	c = newClient(srv.url)
	if line := ag.mustLogN(t, "in sync", 2); line["from"] != "view" {
		t.Errorf("sync after the restart %v, want from a view (since accepted)", line)
	}
	if got := ag.logLines("connected"); len(got) < 2 || got[len(got)-1]["since"] == float64(0) {
		t.Errorf("reconnected with %v, want since > 0", got)
	}
	_, number2, _ := strings.Cut(callNext(), " ")
	if number2 == number {
		t.Fatalf("the second call has the first one's number %s", number)
	}
	win1.Expect(t, alphaFrame(1, 'c', alphaText(t, number2)))
	win1.Expect(t, alphaFrame(1, 'b', alphaText(t, number2)))

	if rest := bytes.ReplaceAll(win2.Received(), clear2, nil); len(rest) != 0 {
		t.Errorf("window 2 got more than blank frames: % x", rest)
	}
	ag.mustStop(t)
	ag.mustLog(t, "agent stopped")
	srv.mustStop(t)
	assertNoSecrets(t, ag.stdout.String()+ag.stderr.String(), cr)
}

func TestAgentConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("agent.token", "  tln_from_file\n")
	conf := write("agent.json", `{"server": "http://file:8080", "office": "file-office", "token_file": "agent.token",
		"blink_for": "2s", "displays": [{"window": 1, "port": "/dev/ttyUSB0", "profile": "qsystem-rs485", "address": 1}],
		"printers": [{"kiosk": "kiosk-1", "port": "/dev/ttyUSB1", "baud": 115200, "profile": "generic-escpos-80"}]}`)

	c, _, _ := newTestCLI(nil)
	cfg, _, err := c.agentConfig([]string{"--config", conf})
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Config{Server: "http://file:8080", Office: "file-office", Token: "tln_from_file", BlinkFor: 2 * time.Second,
		Displays: []agent.DisplayConfig{{Window: 1, Port: "/dev/ttyUSB0", Profile: "qsystem-rs485", Address: 1}},
		Printers: []agent.PrinterConfig{{Kiosk: "kiosk-1", Port: "/dev/ttyUSB1", Baud: 115200, Profile: "generic-escpos-80"}}}
	if got := mustJSON(t, cfg) + cfg.BlinkFor.String(); got != mustJSON(t, want)+want.BlinkFor.String() {
		t.Errorf("from the file:\n%s\nwant\n%s", got, mustJSON(t, want))
	}

	// The environment beats the file, the command line beats both.
	c, _, _ = newTestCLI(map[string]string{"TALON_CONFIG": conf, "TALON_SERVER": "http://env:1", "TALON_TOKEN": "tln_env",
		"TALON_OFFICE": "env-office"})
	cfg, _, err = c.agentConfig([]string{"--office", "flag-office", "--blink-for", "1s"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server != "http://env:1" || cfg.Token != "tln_env" || cfg.Office != "flag-office" || cfg.BlinkFor != time.Second {
		t.Errorf("overridden: %+v", cfg)
	}

	for name, tc := range map[string]struct {
		args []string
		says string
	}{
		"no config":      {nil, "--config"},
		"unknown key":    {[]string{"--config", write("typo.json", `{"sever": "http://x"}`)}, "sever"},
		"both tokens":    {[]string{"--config", write("both.json", `{"token": "a", "token_file": "b"}`)}, "token_file"},
		"empty token":    {[]string{"--config", conf, "--token-file", write("empty.token", "\n")}, "empty"},
		"no token file":  {[]string{"--config", write("nofile.json", `{"token_file": "missing"}`)}, "missing"},
		"bad blink":      {[]string{"--config", write("blink.json", `{"blink_for": "5"}`)}, "blink_for"},
		"flag and file":  {[]string{"--config", conf, "--token", "a", "--token-file", "b"}, "not both"},
		"bad log level":  {[]string{"--config", conf, "--log-level", "loud"}, "log-level"},
		"no arguments":   {[]string{"--config", conf, "extra"}, "no arguments"},
		"not json":       {[]string{"--config", write("bad.json", `{"server": `)}, "bad.json"},
		"missing config": {[]string{"--config", filepath.Join(dir, "nope.json")}, "nope.json"},
	} {
		c, _, _ := newTestCLI(nil)
		if _, _, err := c.agentConfig(tc.args); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err = %v, want one saying %q", name, err, tc.says)
		}
	}

	// Help documents the file.
	c, _, errb := newTestCLI(nil)
	if code := c.run(context.Background(), []string{"agent", "-h"}); code != exitOK {
		t.Errorf("agent -h: exit %d", code)
	}
	for _, s := range []string{"token_file", "displays", "profile", "qsystem-rs485", "printers", "kiosk", "generic-escpos-80", "--server", "never logged"} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("agent -h does not mention %q:\n%s", s, errb)
		}
	}
	// A configuration Run refuses fails the command, naming the problem.
	c, _, errb = newTestCLI(nil)
	bad := write("bad-profile.json", `{"server": "http://127.0.0.1:1", "office": "x", "token": "t",
		"displays": [{"window": 1, "port": "/dev/null", "profile": "nope", "address": 1}]}`)
	if code := c.run(context.Background(), []string{"agent", "--config", bad}); code != exitError || !strings.Contains(errb.String(), "nope") {
		t.Errorf("bad profile: exit %d, stderr %s", code, errb)
	}
	if strings.Contains(errb.String(), `"t"`) {
		t.Errorf("the token is in the output: %s", errb)
	}
}
