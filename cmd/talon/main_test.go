package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

// newTestCLI returns a cli with captured output and the given environment.
func newTestCLI(env map[string]string) (*cli, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}, &out, &errb
}

func TestParseFlagsFromEnvironment(t *testing.T) {
	c, _, _ := newTestCLI(map[string]string{"TALON_DATA": "/env/data", "TALON_SECURE_COOKIES": "true", "TALON_O": "ignored"})
	fs := c.flagSet("test", "test")
	data := dataFlag(fs)
	secure := fs.Bool("secure-cookies", false, "")
	addr := fs.String("addr", ":8080", "")
	out := fs.String("o", "", "")
	pos, err := c.parse(fs, []string{"FILE", "--addr", "127.0.0.1:1", "MORE"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pos, " "), "FILE MORE"; got != want {
		t.Errorf("positional = %q, want %q", got, want)
	}
	if *data != "/env/data" || !*secure || *addr != "127.0.0.1:1" || *out != "" {
		t.Errorf("data %q secure %v addr %q o %q", *data, *secure, *addr, *out)
	}
	if !isSet(fs, "data") || !isSet(fs, "addr") || isSet(fs, "o") {
		t.Error("isSet does not count both the environment and the command line")
	}

	// The command line wins over the environment.
	c, _, _ = newTestCLI(map[string]string{"TALON_DATA": "/env/data"})
	fs = c.flagSet("test", "test")
	data = dataFlag(fs)
	if _, err := c.parse(fs, []string{"--data", "/flag/data"}); err != nil || *data != "/flag/data" {
		t.Errorf("data = %q (%v), want the flag's", *data, err)
	}

	// A bad value in the environment names the variable.
	c, _, _ = newTestCLI(map[string]string{"TALON_SECURE_COOKIES": "maybe"})
	fs = c.flagSet("test", "test")
	fs.Bool("secure-cookies", false, "")
	if _, err := c.parse(fs, nil); err == nil || !strings.Contains(err.Error(), "TALON_SECURE_COOKIES") {
		t.Errorf("err = %v, want one naming TALON_SECURE_COOKIES", err)
	}
}

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
		says string
	}{
		{nil, exitUsage, "no command"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"config", "delete"}, exitUsage, `unknown config command "delete"`},
		{[]string{"version"}, exitOK, "talon "},
		{[]string{"help"}, exitOK, "talon serve"},
		{[]string{"serve", "-h"}, exitOK, "TALON_<NAME>"},
		{[]string{"serve", "--no-such-flag"}, exitUsage, "no-such-flag"},
		{[]string{"serve", "extra"}, exitUsage, "no arguments"},
		{[]string{"serve", "--trusted-proxies", "10.0.0.300"}, exitUsage, "--trusted-proxies"},
		{[]string{"config", "import"}, exitUsage, "one FILE"},
		{[]string{"admin", "create", "--login", "Не латиница"}, exitError, "login"},
	} {
		c, out, errb := newTestCLI(nil)
		if got := c.run(context.Background(), tc.args); got != tc.want {
			t.Errorf("talon %v: exit %d, want %d\n%s%s", tc.args, got, tc.want, out, errb)
		}
		if all := out.String() + errb.String(); !strings.Contains(all, tc.says) {
			t.Errorf("talon %v said %q, want %q in it", tc.args, all, tc.says)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := envName("secure-cookies"); got != "TALON_SECURE_COOKIES" {
		t.Errorf("envName = %q", got)
	}
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:80":        "http://127.0.0.1:80",
		"127.0.0.1:1234": "http://127.0.0.1:1234",
		"[::1]:8080":     "http://[::1]:8080",
		"10.1.2.3:8080":  "http://10.1.2.3:8080",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(a); got != want {
			t.Errorf("baseURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

func TestIDFromLogin(t *testing.T) {
	for login, want := range map[string]string{"admin": "admin", "i.petrova@mfc.ru": "i-petrova-mfc-ru", ".x": "x", "@@": "admin"} {
		if got := idFromLogin(login); got != want {
			t.Errorf("idFromLogin(%q) = %q, want %q", login, got, want)
		}
	}
}

func TestDecodeDocumentNamesTheLine(t *testing.T) {
	_, err := decodeDocument([]byte("{\n  \"version\": 1,\n  \"offices\": [,]\n}"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
		t.Errorf("err = %v, want it on line 3", err)
	}
	_, err = decodeDocument([]byte(`{"version": 1} {}`))
	if err == nil {
		t.Error("trailing data accepted")
	}
}
