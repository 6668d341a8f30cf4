package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeDemo(t *testing.T) {
	bin := mustBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	p := mustServe(t, bin, data, "--demo")
	c := newClient(p.url)

	var health struct {
		Status string `json:"status"`
		Demo   bool   `json:"demo"`
	}
	c.must(t, "GET", "/healthz", "", nil, http.StatusOK, &health)
	if health.Status != "ok" || !health.Demo {
		t.Errorf("healthz = %+v, want ok and demo", health)
	}
	var spec struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	c.must(t, "GET", "/api/v1/openapi.json", "", nil, http.StatusOK, &spec)
	if spec.OpenAPI == "" || spec.Paths["/api/v1/offices/{office}/tickets"] == nil {
		t.Errorf("openapi.json: version %q, %d paths, no ticket route", spec.OpenAPI, len(spec.Paths))
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v %v, want mode 0700", fi.Mode().Perm(), err)
	}

	cr := mustCredentials(t, data)
	if cr.URL != p.url || cr.Office != demoOffice {
		t.Errorf("credentials url %q office %q, want %q %q", cr.URL, cr.Office, p.url, demoOffice)
	}
	if len(cr.Operators) != 6 {
		t.Fatalf("%d operators, want 6", len(cr.Operators))
	}
	for i, o := range cr.Operators {
		if o.Window != i+1 || o.Password == "" {
			t.Errorf("operator %d = %+v, want window %d and a password", i, o, i+1)
		}
	}
	if cr.APIKey == "" || cr.Devices.Kiosk == "" || cr.Devices.Board == "" || cr.Devices.Rating == "" || cr.Devices.Agent == "" ||
		cr.Manager.Password == "" || cr.Admin.Password == "" {
		t.Fatalf("credentials miss a secret: %+v", cr)
	}

	// The credentials work: the kiosk issues, op1 calls the ticket to window 1.
	op1 := c.mustLogin(t, cr.Operators[0].Login, cr.Operators[0].Password)
	var issued struct {
		ID, Number, Status string
	}
	c.must(t, "POST", "/api/v1/offices/mfc-demo/tickets", cr.Devices.Kiosk, map[string]string{"service": "passport"}, http.StatusCreated, &issued)
	if !strings.HasPrefix(issued.Number, "А") || issued.Status != "waiting" {
		t.Errorf("issued %+v, want a waiting А ticket", issued)
	}
	var call struct {
		Ticket struct{ ID, Status string }
	}
	c.must(t, "POST", "/api/v1/offices/mfc-demo/windows/1/call-next", op1, nil, http.StatusOK, &call)
	if call.Ticket.ID != issued.ID || call.Ticket.Status != "called" {
		t.Errorf("call-next = %+v, want ticket %s called", call.Ticket, issued.ID)
	}
	for _, who := range []string{"manager", "admin"} {
		pw := cr.Manager.Password
		if who == "admin" {
			pw = cr.Admin.Password
		}
		c.mustLogin(t, who, pw)
	}
	p.mustStop(t)
	assertNoSecrets(t, p.stdout.String()+p.stderr.String(), cr)

	// A second start on the same directory keeps every secret.
	p = mustServe(t, bin, data, "--demo")
	if line := p.logLine("demo ready"); line == nil || line["reused"] != true {
		t.Errorf("second start: demo ready line %v, want reused", line)
	}
	again := mustCredentials(t, data)
	want := cr
	want.URL = p.url
	if a, b := mustJSON(t, again), mustJSON(t, want); a != b {
		t.Errorf("credentials after restart:\n%s\nwant\n%s", a, b)
	}
	c = newClient(p.url)
	op1 = c.mustLogin(t, again.Operators[0].Login, again.Operators[0].Password)
	c.must(t, "GET", "/api/v1/tickets/"+issued.ID, again.APIKey, nil, http.StatusOK, &call.Ticket)
	if call.Ticket.Status != "called" {
		t.Errorf("ticket after restart: %s, want called", call.Ticket.Status)
	}
	c.must(t, "POST", "/api/v1/tickets/"+issued.ID+"/finish", op1, map[string]string{"result": "accepted"}, http.StatusOK, nil)
	p.mustStop(t)
	assertNoSecrets(t, p.stdout.String()+p.stderr.String(), cr)
}

// A lost credentials file is replaced with new secrets; the old ones stop working.
func TestServeDemoReissuesLostCredentials(t *testing.T) {
	bin := mustBuild(t)
	data := t.TempDir()
	p := mustServe(t, bin, data, "--demo")
	p.mustStop(t)
	old := mustCredentials(t, data)
	if err := os.Remove(filepath.Join(data, credentialsFile)); err != nil {
		t.Fatal(err)
	}
	p = mustServe(t, bin, data, "--demo")
	cr := mustCredentials(t, data)
	c := newClient(p.url)
	if cr.APIKey == old.APIKey || cr.Admin.Password == old.Admin.Password {
		t.Error("new credentials repeat the lost ones")
	}
	c.must(t, "GET", "/api/v1/config", old.APIKey, nil, http.StatusUnauthorized, nil)
	c.must(t, "GET", "/api/v1/config", cr.APIKey, nil, http.StatusOK, nil)
	c.mustLogin(t, "op3", cr.Operators[2].Password)
	p.mustStop(t)
}

func TestServeAndAdminCreate(t *testing.T) {
	bin := mustBuild(t)
	data := t.TempDir()

	// Without --demo nothing is created, and the log says how to make an admin.
	p := mustServe(t, bin, data)
	if line := p.logLine("listening"); line["demo"] != false {
		t.Errorf("listening line %v, want demo false", line)
	}
	if !strings.Contains(p.stderr.String(), "talon admin create --login admin --data "+data) {
		t.Errorf("no admin hint in the log:\n%s", p.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, credentialsFile)); !os.IsNotExist(err) {
		t.Errorf("credentials written without --demo: %v", err)
	}
	p.mustStop(t)

	// The password comes from standard input; short ones and duplicates are refused.
	_, stderr := mustRun(t, bin, strings.NewReader("short\n"), exitError, "admin", "create", "--login", "chief", "--data", data)
	if !strings.Contains(stderr, "8 characters") {
		t.Errorf("short password: %s", stderr)
	}
	stdout, _ := mustRun(t, bin, strings.NewReader("correct horse battery\n"), exitOK,
		"admin", "create", "--login", "Chief.Admin@mfc.ru", "--data", data)
	if !strings.Contains(stdout, `"chief.admin@mfc.ru"`) {
		t.Errorf("admin create said %q", stdout)
	}
	_, stderr = mustRun(t, bin, strings.NewReader("another password\n"), exitError,
		"admin", "create", "--login", "chief.admin@mfc.ru", "--data", data)
	if !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate admin: %s", stderr)
	}
	_, stderr = mustRun(t, bin, nil, exitUsage, "admin", "create", "--data", data)
	if !strings.Contains(stderr, "--login") {
		t.Errorf("missing login: %s", stderr)
	}
	// Flags also come from TALON_* variables; a password there draws no warning.
	_, stderr = mustRunEnv(t, bin, nil, []string{"TALON_LOGIN=deputy", "TALON_PASSWORD=deputy password", "TALON_DATA=" + data},
		exitOK, "admin", "create")
	if strings.Contains(stderr, "warning") {
		t.Errorf("TALON_PASSWORD warned: %s", stderr)
	}
	// On the command line it works, with a warning that ps shows it.
	_, stderr = mustRun(t, bin, nil, exitOK, "admin", "create", "--login", "third", "--password", "third password", "--data", data)
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "ps") || strings.Contains(stderr, "third password") {
		t.Errorf("--password: want a warning that does not repeat the password, got %q", stderr)
	}

	p = mustServe(t, bin, data)
	if strings.Contains(p.stderr.String(), "no administrator") {
		t.Errorf("admin hint although an admin exists:\n%s", p.stderr)
	}
	c := newClient(p.url)
	tok := c.mustLogin(t, "chief.admin@mfc.ru", "correct horse battery")
	c.must(t, "GET", "/api/v1/config", tok, nil, http.StatusOK, nil)
	c.mustLogin(t, "deputy", "deputy password")
	p.mustStop(t)

	// A demo is never mixed into a real configuration.
	_, stderr = mustRun(t, bin, nil, exitError, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data)
	if !strings.Contains(stderr, "empty --data directory") {
		t.Errorf("demo on a configured directory: %s", stderr)
	}
}

// assertNoSecrets checks that no password or token of cr appears in log.
func assertNoSecrets(tb testing.TB, log string, cr credentials) {
	tb.Helper()
	passwords, tokens := cr.secrets()
	for who, s := range passwords {
		if s != "" && strings.Contains(log, s) {
			tb.Errorf("the password of %s is in the output", who)
		}
	}
	for who, s := range tokens {
		if s != "" && strings.Contains(log, s) {
			tb.Errorf("the token of %s is in the output", who)
		}
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
