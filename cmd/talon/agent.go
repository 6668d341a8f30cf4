package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/talon-queue/talon/integrations/agent"
)

const agentSynopsis = "talon agent --config agent.json [--server URL] [--office ID] [--token T | --token-file FILE] [--blink-for 5s] [--log-level info]"

// agentHelp documents the configuration file of `talon agent`; README.md
// says the same in its "Window displays" section.
const agentHelp = `The device agent: a small process on a machine in the office with the LED
window displays and kiosks' ticket printers on its serial ports. It follows
the office's realtime feed and shows on each window's displays the ticket
called there: blinking after a call, steady once the visitor is served (or
after --blink-for), blank when the visit ends. It prints the paper tickets
of the kiosks whose printers it has, when the server sends them. It
reconnects by itself, catching up from where it was, and stops cleanly on
SIGINT or SIGTERM.

The configuration file (JSON; flags and TALON_* variables override its
values):

  {
    "server": "https://talon.example.ru",
    "office": "mfc-demo",
    "token_file": "agent.token",
    "blink_for": "5s",
    "displays": [
      {"window": 1, "port": "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0",
       "profile": "qsystem-rs485", "address": 1},
      {"window": 2, "port": "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0",
       "profile": "qsystem-rs485", "address": 2},
      {"window": 3, "port": "/dev/ttyUSB1", "baud": 19200,
       "profile": "alpha-betabrite", "address": 3}
    ],
    "printers": [
      {"kiosk": "kiosk-hall", "port": "/dev/serial/by-id/usb-Printer-if00",
       "baud": 115200, "profile": "generic-escpos-80"}
    ]
  }

  server      the server's base URL, http(s)://host[:port]
  office      the office id
  token       the agent's device token (a client of kind "agent" of this
              office); better token_file, a file holding just the token
              (mode 0600; a relative path is relative to this file)
  blink_for   how long a called number blinks at most (Go duration; 5s)
  displays    one entry per display:
    window    the window number it shows
    port      its serial port: name it by /dev/serial/by-id/… so that a
              replugged adapter keeps its name; displays at different
              addresses may share a port (one RS-485 line, one speed)
    profile   its protocol, from firmware-profiles/displays:
              qsystem-rs485, alpha-betabrite, led-485-modbus
    baud      the line's speed; 0 or absent for the profile's
    address   its address on the line, in the profile's range
  printers    one entry per kiosk ticket printer (ESC/POS) on this machine;
              the server sends a kiosk's tickets here when the kiosk's
              printer address is "agent" or "agent:<this agent's client id>":
    kiosk     the kiosk's client id
    port      its serial port (by-id name), not shared with anything else
    profile   its model, from firmware-profiles/printers:
              generic-escpos-80, generic-escpos-80-raster, citizen-hp-80,
              pos-58-raster
    baud      its speed; 0 or absent for 9600
  At least one display or printer is needed.

The token is never logged.
`

// agentFile is the configuration file of `talon agent`.
type agentFile struct {
	Server    string                `json:"server"`
	Office    string                `json:"office"`
	Token     string                `json:"token"`
	TokenFile string                `json:"token_file"`
	BlinkFor  string                `json:"blink_for"`
	Displays  []agent.DisplayConfig `json:"displays"`
	Printers  []agent.PrinterConfig `json:"printers"`
}

func (c *cli) agent(ctx context.Context, args []string) error {
	cfg, level, err := c.agentConfig(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	server := cfg.Server
	if u, err := url.Parse(server); err == nil {
		server = u.Redacted() // a password in the URL stays out of the log too
	}
	log.Info("agent starting", "server", server, "office", cfg.Office, "displays", len(cfg.Displays), "printers", len(cfg.Printers),
		"blink_for", cfg.BlinkFor.String(), "version", version())
	if err := agent.Run(ctx, cfg, log); err != nil {
		return err
	}
	log.Info("agent stopped")
	return nil
}

// agentConfig reads the configuration file named by --config and lays the
// flags (and TALON_* variables) over it.
func (c *cli) agentConfig(args []string) (agent.Config, slog.Level, error) {
	fs := c.flagSet("agent", agentSynopsis)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: %s\n\n%s\nFlags (each also from TALON_<NAME>):\n", agentSynopsis, agentHelp)
		fs.PrintDefaults()
	}
	path := fs.String("config", "", "the agent's configuration file (JSON, described above)")
	server := fs.String("server", "", "the server's base URL (overrides the file's server)")
	office := fs.String("office", "", "the office id (overrides the file's office)")
	token := fs.String("token", "", "the agent's device token (better: TALON_TOKEN or --token-file)")
	tokenFile := fs.String("token-file", "", "a file holding the agent's device token")
	blinkFor := fs.Duration("blink-for", agent.DefaultBlinkFor, "how long a called number blinks at most")
	levelName := fs.String("log-level", "info", "debug, info, warn or error")
	var level slog.Level
	pos, err := c.parse(fs, args)
	if err != nil {
		return agent.Config{}, level, err
	}
	if len(pos) > 0 {
		return agent.Config{}, level, usagef("agent takes no arguments, got %q", pos)
	}
	if err := level.UnmarshalText([]byte(*levelName)); err != nil {
		return agent.Config{}, level, usagef("--log-level %q: want debug, info, warn or error", *levelName)
	}
	if *blinkFor <= 0 {
		return agent.Config{}, level, usagef("--blink-for must be positive")
	}
	if *path == "" {
		return agent.Config{}, level, usagef("agent needs --config FILE (or TALON_CONFIG): the displays and printers are set there")
	}
	f, err := readAgentFile(*path)
	if err != nil {
		return agent.Config{}, level, err
	}
	if isSet(fs, "token") && isSet(fs, "token-file") {
		return agent.Config{}, level, usagef("give --token or --token-file, not both")
	}
	if isSet(fs, "server") {
		f.Server = *server
	}
	if isSet(fs, "office") {
		f.Office = *office
	}
	if isSet(fs, "token") {
		f.Token, f.TokenFile = *token, ""
	}
	if isSet(fs, "token-file") {
		f.Token, f.TokenFile = "", *tokenFile
	}
	cfg := agent.Config{Server: f.Server, Office: f.Office, Token: f.Token, Displays: f.Displays, Printers: f.Printers, BlinkFor: *blinkFor}
	if f.TokenFile != "" {
		if cfg.Token, err = readToken(f.TokenFile); err != nil {
			return agent.Config{}, level, err
		}
	}
	if f.BlinkFor != "" && !isSet(fs, "blink-for") {
		d, err := time.ParseDuration(f.BlinkFor)
		if err != nil || d <= 0 {
			return agent.Config{}, level, fmt.Errorf("%s: blink_for %q: want a duration such as 5s", *path, f.BlinkFor)
		}
		cfg.BlinkFor = d
	}
	return cfg, level, nil
}

// readAgentFile reads the configuration file at path; a relative token_file
// in it becomes relative to the file's directory.
func readAgentFile(path string) (agentFile, error) {
	var f agentFile
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("agent config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a misspelt key is an error, not a default
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("agent config %s: %w", path, err)
	}
	if dec.More() {
		return f, fmt.Errorf("agent config %s: more than one JSON value", path)
	}
	if f.Token != "" && f.TokenFile != "" {
		return f, fmt.Errorf("agent config %s: token and token_file both set; keep one", path)
	}
	if f.TokenFile != "" && !filepath.IsAbs(f.TokenFile) {
		f.TokenFile = filepath.Join(filepath.Dir(path), f.TokenFile)
	}
	return f, nil
}

// readToken reads a token file: the token, surrounding space ignored.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", errors.New("token file " + path + " holds more than one word")
	}
	return tok, nil
}
