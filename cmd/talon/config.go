package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/web"
)

// configTarget is where `talon config` reads or writes the configuration:
// straight in the store of a stopped server, or through a running one.
type configTarget struct {
	data  *string
	url   *string
	token *string
}

func targetFlags(fs *flag.FlagSet) configTarget {
	return configTarget{
		data:  dataFlag(fs),
		url:   fs.String("url", "", "work through a running server at this URL instead of the data directory"),
		token: fs.String("token", "", "with --url: an admin's session token or an API key with config:write"),
	}
}

func (t configTarget) online() (bool, error) {
	if *t.url == "" {
		return false, nil
	}
	if *t.token == "" {
		return false, usagef("--url needs --token (or TALON_TOKEN)")
	}
	return true, nil
}

func (c *cli) configExport(ctx context.Context, args []string) error {
	fs := c.flagSet("config export", "talon config export [--data DIR | --url URL --token T] [-o FILE]")
	t := targetFlags(fs)
	out := fs.String("output", "", "write to FILE instead of standard output")
	fs.StringVar(out, "o", "", "short for --output")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("config export takes no arguments, got %q", pos)
	}
	online, err := t.online()
	if err != nil {
		return err
	}
	var doc queue.Document
	if online {
		err = c.call(ctx, t, http.MethodGet, nil, &doc)
	} else {
		err = withEngine(*t.data, false, func(e *engine) error { doc = e.q.Export(); return nil })
	}
	if err != nil {
		return fmt.Errorf("config export: %w", err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" || *out == "-" {
		_, err = c.stdout.Write(b)
		return err
	}
	return writeFileAtomic(*out, b, 0o644)
}

func (c *cli) configImport(ctx context.Context, args []string) error {
	fs := c.flagSet("config import", "talon config import FILE [--data DIR | --url URL --token T]")
	t := targetFlags(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("config import needs one FILE (- for standard input)")
	}
	online, err := t.online()
	if err != nil {
		return err
	}
	raw, err := c.readInput(pos[0])
	if err != nil {
		return fmt.Errorf("config import: %w", err)
	}
	// Check the JSON here, with the same strictness as the server, so a
	// broken file is named before anything is opened.
	doc, err := decodeDocument(raw)
	if err != nil {
		return fmt.Errorf("config import: %s is not a configuration document, nothing was changed: %w", pos[0], err)
	}
	var sum queue.ImportSummary
	if online {
		err = c.call(ctx, t, http.MethodPut, raw, &sum)
	} else {
		err = withEngine(*t.data, true, func(e *engine) error {
			ictx, cancel := context.WithTimeout(ctx, openTimeout)
			defer cancel()
			var ierr error
			sum, ierr = e.q.Import(ictx, queue.Meta{Principal: queue.System(), Device: "talon config import"}, doc)
			return ierr
		})
	}
	var ae *apiError
	if msg, ok := web.Describe(err, c.lang()); ok { // refused offline: said as the server would
		return fmt.Errorf("config import: %s was refused, nothing was changed: %s (%w)", pos[0], msg, err)
	}
	if errors.As(err, &ae) {
		return fmt.Errorf("config import: %s was refused, nothing was changed: %w", pos[0], err)
	}
	if err != nil {
		return fmt.Errorf("config import: %w", err)
	}
	fmt.Fprintf(c.stdout, "imported %s: %d offices, %d users, %d deactivated\n", pos[0], sum.Offices, sum.Users, sum.Deactivated)
	return nil
}

// readInput reads a file, or standard input for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(c.stdin)
	}
	return os.ReadFile(name)
}

// decodeDocument decodes a configuration document strictly: unknown fields
// and trailing data are errors, as they are for the API.
func decodeDocument(b []byte) (queue.Document, error) {
	var doc queue.Document
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return doc, fmt.Errorf("line %d: %w", lineOf(b, se.Offset), err)
		case errors.As(err, &te):
			return doc, fmt.Errorf("line %d: %w", lineOf(b, te.Offset), err)
		}
		return doc, err
	}
	if _, err := d.Token(); err != io.EOF {
		return doc, errors.New("data after the document")
	}
	return doc, nil
}

// lineOf returns the line of byte offset off in b, from 1.
func lineOf(b []byte, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// withEngine runs fn on an engine opened on the data directory (without
// background ticks) and closes it.
func withEngine(dir string, create bool, fn func(e *engine) error) error {
	e, err := openEngine(dir, create, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	err = fn(e)
	return errors.Join(err, e.Close())
}

// apiError is an error answer of the server.
type apiError struct {
	Status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Params  map[string]string `json:"params"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (HTTP %d, %s", e.Message, e.Status, e.Code)
	for _, k := range []string{"field", "rule"} {
		if v := e.Params[k]; v != "" {
			fmt.Fprintf(&b, ", %s=%s", k, v)
		}
	}
	b.WriteString(")")
	return b.String()
}

// call sends the configuration request to the server of t and decodes the
// answer into out.
func (c *cli) call(ctx context.Context, t configTarget, method string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*t.url, "/")+"/api/v1/config", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*t.token)
	req.Header.Set("Accept-Language", c.lang())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: openTimeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(b, &eb) != nil || eb.Error.Code == "" {
			return fmt.Errorf("%s %s: HTTP %d", method, req.URL, resp.StatusCode)
		}
		eb.Error.Status = resp.StatusCode
		return &eb.Error
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: bad answer: %w", method, req.URL, err)
	}
	return nil
}

// lang is the language of the messages a command relays: Russian when the
// locale for messages (LC_ALL, LC_MESSAGES, LANG, the first one set) is
// Russian, else English.
func (c *cli) lang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := c.getenv(v); l != "" {
			if strings.HasPrefix(l, "ru") {
				return "ru"
			}
			return "en"
		}
	}
	return "en"
}
