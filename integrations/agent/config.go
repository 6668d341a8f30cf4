package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/integrations/leddisplay"
)

// DefaultBlinkFor is how long a called ticket blinks before it stays lit.
const DefaultBlinkFor = 5 * time.Second

// DefaultPrinterBaud is the speed of a ticket printer's serial port when its
// configuration gives none: the factory setting of most ESC/POS printers
// (a USB printer's virtual port ignores it).
const DefaultPrinterBaud = 9600

// Config is what the agent needs: where the server is, who it is, which
// display shows which window, and which kiosk's tickets each printer prints.
// It needs at least one display or printer.
type Config struct {
	Server   string          `json:"server"` // base URL of the server: http(s)://host:port[/prefix] (ws(s):// also accepted)
	Token    string          `json:"token"`  // the device's API token; sent in the first message, never logged
	Office   string          `json:"office"` // office id
	Displays []DisplayConfig `json:"displays"`
	Printers []PrinterConfig `json:"printers"`

	BlinkFor time.Duration `json:"-"` // 0 = DefaultBlinkFor; `talon agent` reads it as "blink_for": "5s"
}

// DisplayConfig is one LED display: the window it belongs to and where it is
// wired. Several displays may share a Port (an RS-485 line) at different
// addresses, and a window may have more than one display.
type DisplayConfig struct {
	Window  int    `json:"window"`  // window number
	Port    string `json:"port"`    // serial device, best /dev/serial/by-id/…
	Baud    int    `json:"baud"`    // 0 = the profile's default
	Profile string `json:"profile"` // display profile id (firmware-profiles/displays)
	Address int    `json:"address"` // address on the line, in the profile's range
}

// PrinterConfig is the ticket printer of one kiosk, on a serial port of the
// agent's machine. The server sends the agent the kiosk's print jobs when the
// kiosk's printer address (queue.PrinterConfig) is "agent" or "agent:<this
// agent's client id>".
type PrinterConfig struct {
	Kiosk   string `json:"kiosk"`   // client id of the kiosk whose tickets it prints
	Port    string `json:"port"`    // serial device, best /dev/serial/by-id/…; not shared with anything else
	Baud    int    `json:"baud"`    // 0 = DefaultPrinterBaud
	Profile string `json:"profile"` // printer profile id (firmware-profiles/printers)
}

// endpoint returns the websocket URL of the office's event stream.
func (c Config) endpoint() (string, error) {
	u, err := url.Parse(c.Server)
	if err != nil {
		return "", fmt.Errorf("agent: server %q: %w", c.Server, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("agent: server %q: want an http(s):// or ws(s):// URL", c.Server)
	}
	if u.Host == "" {
		return "", fmt.Errorf("agent: server %q: no host", c.Server)
	}
	u.RawQuery, u.Fragment = "", ""
	return u.JoinPath("ws", "offices", c.Office).String(), nil
}

// line is one serial port with its displays.
type line struct {
	port  string
	baud  int
	frame string // data bits, parity, stop bits: must agree on one line
	bus   *leddisplay.Bus
}

// setup is what a checked Config makes: the display lines, each window's
// displays, and each kiosk's printer.
type setup struct {
	lines    []*line
	windows  map[int][]*leddisplay.Display
	printers map[string]*printer
}

// build checks the configuration and makes the buses, each window's
// displays and each kiosk's printer.
func (c Config) build(log *slog.Logger) (setup, error) {
	var errs []error
	if c.Server == "" {
		errs = append(errs, errors.New("server is required"))
	} else if _, err := c.endpoint(); err != nil {
		errs = append(errs, err)
	}
	if c.Token == "" {
		errs = append(errs, errors.New("token is required"))
	}
	if c.Office == "" || strings.ContainsAny(c.Office, "/?#") {
		errs = append(errs, fmt.Errorf("office %q: required, without / ? #", c.Office))
	}
	if len(c.Displays) == 0 && len(c.Printers) == 0 {
		errs = append(errs, errors.New("no displays and no printers"))
	}
	if c.BlinkFor < 0 {
		errs = append(errs, errors.New("blink_for must not be negative"))
	}
	lines := map[string]*line{}
	var order []*line
	windows := map[int][]*leddisplay.Display{}
	for i, dc := range c.Displays {
		bad := func(err error) { errs = append(errs, fmt.Errorf("displays[%d] (window %d): %w", i, dc.Window, err)) }
		if dc.Window <= 0 {
			bad(errors.New("window must be positive"))
			continue
		}
		if dc.Port == "" {
			bad(errors.New("port is required"))
			continue
		}
		p, err := profiles.DisplayByID(dc.Profile)
		if err != nil {
			bad(err)
			continue
		}
		baud := dc.Baud
		if baud == 0 {
			baud = p.Baud
		}
		frame := fmt.Sprintf("%d%s%d", p.DataBits, p.Parity, p.StopBits)
		l := lines[dc.Port]
		if l == nil {
			l = &line{port: dc.Port, baud: baud, frame: frame, bus: &leddisplay.Bus{
				Dial:   leddisplay.Serial(dc.Port, baud, p),
				Logger: log.With("port", dc.Port),
			}}
			lines[dc.Port] = l
			order = append(order, l)
		} else if l.baud != baud || l.frame != frame {
			bad(fmt.Errorf("port %s runs at %d %s for another display; one line has one speed and frame", dc.Port, l.baud, l.frame))
			continue
		}
		d, err := l.bus.Display(p, dc.Address)
		if err != nil {
			bad(err)
			continue
		}
		windows[dc.Window] = append(windows[dc.Window], d)
	}
	printers := map[string]*printer{}
	ports := map[string]string{} // port → the kiosk whose printer is on it
	for i, pc := range c.Printers {
		bad := func(err error) { errs = append(errs, fmt.Errorf("printers[%d] (kiosk %q): %w", i, pc.Kiosk, err)) }
		switch {
		case pc.Kiosk == "" || strings.ContainsAny(pc.Kiosk, " \t\r\n"):
			bad(errors.New("kiosk (its client id) is required, without spaces"))
			continue
		case printers[pc.Kiosk] != nil:
			bad(errors.New("a second printer for this kiosk"))
			continue
		case pc.Port == "":
			bad(errors.New("port is required"))
			continue
		case lines[pc.Port] != nil:
			bad(fmt.Errorf("port %s is a display line; a printer needs a port of its own", pc.Port))
			continue
		case ports[pc.Port] != "":
			bad(fmt.Errorf("port %s has the printer of kiosk %q; a printer needs a port of its own", pc.Port, ports[pc.Port]))
			continue
		case pc.Baud < 0:
			bad(errors.New("baud must not be negative"))
			continue
		}
		p, err := profiles.PrinterByID(pc.Profile)
		if err != nil {
			bad(err)
			continue
		}
		baud := pc.Baud
		if baud == 0 {
			baud = DefaultPrinterBaud
		}
		ports[pc.Port] = pc.Kiosk
		printers[pc.Kiosk] = newPrinter(pc.Kiosk, pc.Port, p, escpos.Serial(pc.Port, baud),
			log.With("kiosk", pc.Kiosk, "port", pc.Port))
	}
	if err := errors.Join(errs...); err != nil {
		return setup{}, fmt.Errorf("agent: config: %w", err)
	}
	return setup{lines: order, windows: windows, printers: printers}, nil
}
