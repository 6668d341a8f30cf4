package queue

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// This file holds what the engine knows of paper tickets: which printer a
// kiosk has, which tickets a kiosk may print, and the journal of how each
// print went (EventTicketPrinted). The printing itself happens at the edge
// (web drives network printers, a device agent drives the ones attached to
// it), because it talks to hardware and may take seconds.

// PrinterConfig is the ticket printer of a kiosk. Admins set it with the
// kiosk's client record.
type PrinterConfig struct {
	Profile string `json:"profile" doc:"printer profile id (firmware-profiles/printers), e.g. generic-escpos-80"`
	Address string `json:"address" doc:"tcp://host[:port] for a network printer the server prints to itself (port 9100 when absent); agent:<agent client id> for a printer attached to a device agent, or agent for the office's only agent"`
}

// Printer address forms.
const (
	printerTCP   = "tcp://"
	printerAgent = "agent"
)

// Validate checks the profile id and the address form.
func (c *PrinterConfig) Validate() error {
	if err := validID("profile", c.Profile); err != nil {
		return err
	}
	if c.Address == "" {
		return Invalid("address", RuleRequired)
	}
	if len(c.Address) > 300 {
		return Invalid("address", RuleTooLong, "max", "300")
	}
	if _, ok := c.Network(); ok {
		return nil
	}
	if id, ok := c.Agent(); ok && (id == "" || validID("address", id) == nil) {
		return nil
	}
	return Invalid("address", RuleFormat)
}

// Network returns the host:port of a network printer ("tcp://host[:port]",
// port 9100 by default), and false for any other address.
func (c *PrinterConfig) Network() (string, bool) {
	if !strings.HasPrefix(c.Address, printerTCP) {
		return "", false
	}
	u, err := url.Parse(c.Address)
	if err != nil || u.Scheme != "tcp" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " \t") {
		return "", false
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", false
	}
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", false
		}
		port = "9100"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return net.JoinHostPort(host, port), true
}

// Agent returns the client id of the device agent the printer is attached
// to ("" for the office's only agent), and false for any other address.
func (c *PrinterConfig) Agent() (string, bool) {
	if c.Address == printerAgent {
		return "", true
	}
	if id, ok := strings.CutPrefix(c.Address, printerAgent+":"); ok {
		return id, true
	}
	return "", false
}

// PrintReport is how printing a ticket went, as the kiosk's printer told.
type PrintReport struct {
	OK      bool   `json:"ok" doc:"the printer confirmed the ticket: it was ready before and after"`
	Problem string `json:"problem,omitempty" doc:"when not OK: the printer's error code, e.g. printer_paper_out, printer_offline, printer_no_answer"`
	Sent    bool   `json:"sent,omitempty" doc:"the ticket's bytes reached the printer (it may be partly printed)"`
}

var problemPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (r *PrintReport) validate() error {
	if r.OK && r.Problem != "" {
		return Invalid("problem", RuleValue)
	}
	if !r.OK && r.Problem == "" {
		return Invalid("problem", RuleRequired)
	}
	if r.Problem != "" && !problemPattern.MatchString(r.Problem) {
		return Invalid("problem", RuleFormat)
	}
	return nil
}

// Printable is a ticket with what its paper copy shows.
type Printable struct {
	Ticket  TicketView
	Office  Office
	Service Service
}

// mayPrint is the rule of who may print a ticket: a caller who may issue
// tickets in its office, for a ticket they issued themselves, or for one
// checked in from a pre-booking (a visitor booked elsewhere gets their paper
// ticket at any kiosk).
func mayPrint(p *Principal, t *Ticket) error {
	if !p.Can(PermIssue, t.Office) {
		return E(KindNotFound, CodeTicketNotFound, "id", t.ID)
	}
	if t.IssuedBy != p.ID && t.Source != SourceBooking {
		return E(KindForbidden, CodeForbidden, "perm", string(PermIssue))
	}
	return nil
}

// Printable returns an active ticket the caller may print or show as a QR
// code (see mayPrint), with its place in the queue, its office and its
// service. Returns ticket_not_found, forbidden or ticket_wrong_state.
func (q *Queue) Printable(p *Principal, id string) (Printable, error) {
	var out Printable
	found, err := func() (bool, error) {
		q.mu.RLock()
		defer q.mu.RUnlock()
		for _, os := range q.r.offices {
			t := os.tickets[id]
			if t == nil {
				continue
			}
			if err := mayPrint(p, t); err != nil {
				return true, err
			}
			out.Ticket = TicketView{Ticket: *t}
			if t.Status == StatusWaiting {
				ahead := os.aheadOf(t, q.now())
				out.Ticket.Position, out.Ticket.EstimatedWait = ahead+1, os.estimate(t.Service, ahead)
			}
			out.Office = os.cat.cfg.Office
			if s := os.cat.services[t.Service]; s != nil {
				out.Service = *s
			}
			return true, nil
		}
		return false, nil
	}()
	if found {
		return out, err
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return Printable{}, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	t, err := q.store.Ticket(id)
	if err != nil || mayPrint(p, t) != nil {
		return Printable{}, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	return Printable{}, E(KindConflict, CodeTicketWrongState, "number", t.Number, "status", string(t.Status), "action", "print")
}

type printCmd struct {
	ID     string
	Report PrintReport
}

// RecordPrint journals how printing a ticket went (EventTicketPrinted, with
// the report). A confirmed print marks the ticket Printed; a failed one
// leaves it as it was, so it is not counted as printed. The caller must be
// allowed to print the ticket (see Printable). Returns ticket_not_found,
// forbidden, ticket_wrong_state or invalid_field.
func (q *Queue) RecordPrint(ctx context.Context, m Meta, id string, r PrintReport) (TicketView, error) {
	return run[TicketView](ctx, q, m, printCmd{id, r})
}

func (x printCmd) run(c *txn) (any, error) {
	if err := x.Report.validate(); err != nil {
		return nil, err
	}
	t, os, err := c.ticket(x.ID, "print")
	if err != nil {
		return nil, err
	}
	if err := mayPrint(c.principal(), t); err != nil {
		return nil, err
	}
	n := t
	if x.Report.OK && !t.Printed {
		n = t.clone()
		n.Printed = true
		c.put(ticketChange{n})
	}
	r := x.Report
	c.emit(n.Office, EventTicketPrinted, func(e *Event) { e.Ticket, e.Print = n, &r })
	v := TicketView{Ticket: *n}
	if n.Status == StatusWaiting {
		ahead := os.aheadOf(n, c.now)
		v.Position, v.EstimatedWait = ahead+1, os.estimate(n.Service, ahead)
	}
	return v, nil
}

// Device returns the client record of the calling device or API client.
// Returns client_not_found when the caller is not a client.
func (q *Queue) Device(p *Principal) (Client, error) {
	if p == nil || p.Kind != "client" {
		return Client{}, E(KindNotFound, CodeClientNotFound)
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	c := q.r.clients[p.ID]
	if c == nil {
		return Client{}, E(KindNotFound, CodeClientNotFound, "id", p.ID)
	}
	out := *c
	if c.Printer != nil {
		pc := *c.Printer
		out.Printer = &pc
	}
	return out, nil
}
