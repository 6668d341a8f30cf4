package escpos

import (
	"fmt"
	"slices"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/kiosk"
)

// Network opens the network ticket printers of kiosks (raw TCP, port 9100)
// by profile id, for a server that prints to them itself. cmd/talon hands it
// to the web edge.
type Network struct {
	// Profiles are the printer profiles to choose from.
	Profiles []profiles.Printer
	// Settle, ReplyTimeout and WriteTimeout are given to every Printer.
	Settle       time.Duration
	ReplyTimeout time.Duration
	WriteTimeout time.Duration
}

// NewNetwork returns a Network over the built-in printer profiles.
func NewNetwork() (*Network, error) {
	list, err := profiles.Printers()
	if err != nil {
		return nil, err
	}
	return &Network{Profiles: list, Settle: 300 * time.Millisecond}, nil
}

// Printer returns a printer with the profile at addr ("host:port"). Share
// the result: jobs on one Printer run one at a time.
func (n *Network) Printer(profile, addr string) (kiosk.Printer, error) {
	p, err := profiles.Find(n.Profiles, profile)
	if err != nil {
		return nil, fmt.Errorf("escpos: %w", err)
	}
	return &Printer{Profile: p, Dial: TCP(addr), Settle: n.Settle, ReplyTimeout: n.ReplyTimeout, WriteTimeout: n.WriteTimeout}, nil
}

// Profile reports whether a printer profile id is known.
func (n *Network) Profile(id string) bool {
	return slices.ContainsFunc(n.Profiles, func(p profiles.Printer) bool { return p.ID == id })
}
