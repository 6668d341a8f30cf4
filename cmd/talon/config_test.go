package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigExportImport round-trips the configuration through the CLI,
// offline on the store and online through the API, and checks that a bad
// file is refused whole.
func TestConfigExportImport(t *testing.T) {
	bin := mustBuild(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	p := mustServe(t, bin, data, "--demo")
	p.mustStop(t)
	cr := mustCredentials(t, data)

	// Offline: export to stdout and to a file, import, export again: unchanged.
	orig, _ := mustRun(t, bin, nil, exitOK, "config", "export", "--data", data)
	if !strings.Contains(orig, `"mfc-demo"`) || !strings.Contains(orig, "Паспорт гражданина РФ") {
		t.Fatalf("export lacks the demo office:\n%.500s", orig)
	}
	file := filepath.Join(dir, "config.json")
	mustRun(t, bin, nil, exitOK, "config", "export", "--data", data, "-o", file)
	if b, err := os.ReadFile(file); err != nil || string(b) != orig {
		t.Fatalf("export -o differs from stdout (%v)", err)
	}
	out, _ := mustRun(t, bin, nil, exitOK, "config", "import", file, "--data", data)
	if !strings.Contains(out, "1 offices, 8 users, 0 deactivated") {
		t.Errorf("import said %q", out)
	}
	if got, _ := mustRun(t, bin, nil, exitOK, "config", "export", "--data", data); got != orig {
		t.Errorf("export after import differs:\n%s\nwant\n%s", got, orig)
	}
	mustRun(t, bin, nil, exitError, "config", "export", "--data", filepath.Join(dir, "nowhere"))

	// Bad files change nothing and say what is wrong.
	bad := []struct {
		name, from, to, says string
	}{
		{"unknown service at a window", `"service": "snils"`, `"service": "snilz"`, "snilz"},
		{"bad prefix", `"prefix": "Г"`, `"prefix": "г1"`, "Field “offices[0].services[5].prefix”: wrong format"}, // in words, as the server says it
		{"bad time zone", `"time_zone": "Europe/Moscow"`, `"time_zone": "Europe/Mos"`, "time_zone"},
		{"user in an unknown office", `"office": "mfc-demo",` + "\n      \"windows\"", `"office": "mfc-nowhere",` + "\n      \"windows\"", "office_not_found"},
		{"unknown field", `"version": 1`, `"version": 1, "offise": {}`, "unknown field"},
		{"version", `"version": 1`, `"version": 2`, "version"},
		{"not JSON", `"version": 1,`, `"version": 1,,`, "not a configuration document"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if !strings.Contains(orig, b.from) {
				t.Fatalf("the export has no %q to break", b.from)
			}
			f := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(f, []byte(strings.Replace(orig, b.from, b.to, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr := mustRun(t, bin, nil, exitError, "config", "import", f, "--data", data)
			if !strings.Contains(stderr, "nothing was changed") || !strings.Contains(stderr, b.says) {
				t.Errorf("import of a file with %s said:\n%s", b.name, stderr)
			}
			if got, _ := mustRun(t, bin, nil, exitOK, "config", "export", "--data", data); got != orig {
				t.Errorf("a refused import changed the configuration")
			}
		})
	}

	// While a server holds the file, offline commands fail fast and say why.
	p = mustServe(t, bin, data, "--demo")
	start := time.Now()
	_, stderr := mustRun(t, bin, nil, exitError, "config", "export", "--data", data)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("offline export against a running server took %v", took)
	}
	if !strings.Contains(stderr, "in use by another process") || !strings.Contains(stderr, "--url") {
		t.Errorf("offline export against a running server said:\n%s", stderr)
	}

	// Online: the same document, the same refusals, and a change that sticks.
	online := []string{"--url", p.url, "--token", cr.APIKey}
	if got, _ := mustRun(t, bin, nil, exitOK, append([]string{"config", "export"}, online...)...); got != orig {
		t.Errorf("online export differs from offline:\n%s", got)
	}
	f := filepath.Join(dir, "bad.json")
	os.WriteFile(f, []byte(strings.Replace(orig, `"prefix": "Г"`, `"prefix": "г1"`, 1)), 0o600)
	_, stderr = mustRun(t, bin, nil, exitError, append([]string{"config", "import", f}, online...)...)
	if !strings.Contains(stderr, "nothing was changed") || !strings.Contains(stderr, "field=offices[0].services[5].prefix") {
		t.Errorf("online import of a bad file said:\n%s", stderr)
	}
	_, stderr = mustRun(t, bin, nil, exitError, "config", "export", "--url", p.url, "--token", "tln_wrong")
	if !strings.Contains(stderr, "auth_required") {
		t.Errorf("export with a wrong token said:\n%s", stderr)
	}
	_, stderr = mustRun(t, bin, nil, exitUsage, "config", "export", "--url", p.url)
	if !strings.Contains(stderr, "--token") {
		t.Errorf("export without a token said:\n%s", stderr)
	}
	changed := strings.Replace(orig, "Консультация", "Консультация специалиста", 1)
	os.WriteFile(f, []byte(changed), 0o600)
	// From the environment this time.
	mustRunEnv(t, bin, nil, []string{"TALON_URL=" + p.url, "TALON_TOKEN=" + cr.APIKey}, exitOK, "config", "import", f)
	c := newClient(p.url)
	c.mustLogin(t, "op1", cr.Operators[0].Password) // passwords survive an import
	c.must(t, "GET", "/api/v1/offices/mfc-demo/services", cr.APIKey, nil, http.StatusOK, nil)
	p.mustStop(t)
	if got, _ := mustRun(t, bin, nil, exitOK, "config", "export", "--data", data); got != changed {
		t.Errorf("the online import did not persist:\n%s", got)
	}
}
