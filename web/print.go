package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
)

// Paper tickets. A kiosk's printer is part of its client record
// (queue.PrinterConfig): a network printer ("tcp://host:9100") the server
// prints to itself, or a printer attached to a device agent ("agent",
// "agent:<id>"), to which the server sends the job over the office feed
// (see ws.go). Either way the kiosk page makes one call,
// POST /api/v1/tickets/{id}/print, and gets 200 only when the printer
// confirmed the ticket; the outcome is journalled (queue.RecordPrint, event
// ticket.printed) and kept per kiosk for managers
// (GET /api/v1/offices/{office}/printers). When printing fails the page
// shows the ticket's QR code (GET /api/v1/tickets/{id}/qr) and offers the
// browser's print of the ticket.

// Printers opens the network printers of kiosks that the server prints to
// itself. cmd/talon sets it to the ESC/POS adapter (escpos.Network).
type Printers interface {
	// Printer returns the printer with profile at addr ("host:port").
	// Returns an error when the profile is unknown.
	Printer(profile, addr string) (kiosk.Printer, error)
	// Profile reports whether a printer profile id is known.
	Profile(id string) bool
}

// Timings of printing.
const (
	printTimeout      = 45 * time.Second // one job, status queries and the cut included
	agentPrintTimeout = 30 * time.Second // an agent's answer to a job
	checkTimeout      = 5 * time.Second  // a manager's status check of a network printer
)

// codePrinterNotConfigured: the kiosk has no printer in its client record.
const codePrinterNotConfigured = "printer_not_configured"

// PrintResponse is the answer to a confirmed print.
type PrintResponse struct {
	Printed bool                `json:"printed" doc:"always true: a print the printer did not confirm is an error with the printer's code"`
	Status  kiosk.PrinterStatus `json:"status" doc:"the printer's state after the job (a near-end roll shows here)"`
}

// TicketCodes are a ticket's codes as images, for the kiosk's screen and
// its browser print of the ticket.
type TicketCodes struct {
	URL     string `json:"url" doc:"absolute address of the applicant's live ticket page"`
	QR      string `json:"qr" doc:"QR code of url: an SVG image as a data: URI"`
	Barcode string `json:"barcode" doc:"CODE128 barcode of the ticket id: an SVG image as a data: URI"`
}

// KioskPrinter is a kiosk's ticket printer as managers see it. The state is
// kept in memory from the kiosk's prints and managers' checks: after a
// restart it is unknown until the next one.
type KioskPrinter struct {
	Device   string               `json:"device" doc:"client id of the kiosk"`
	Name     string               `json:"name" doc:"the kiosk's name"`
	Profile  string               `json:"profile"`
	Address  string               `json:"address"`
	Via      string               `json:"via" doc:"server (a network printer the server prints to) or agent (attached to a device agent)"`
	State    string               `json:"state" doc:"ok, problem, or unknown (nothing printed or checked since the server started)"`
	Problem  string               `json:"problem,omitempty" doc:"the printer's error code, e.g. printer_paper_out"`
	Message  string               `json:"message,omitempty" doc:"the problem in the caller's language"`
	Status   *kiosk.PrinterStatus `json:"status,omitempty" doc:"what the printer last reported of itself"`
	Since    time.Time            `json:"since,omitzero" doc:"when the state last changed"`
	LastJob  time.Time            `json:"last_job,omitzero" doc:"when the kiosk last printed or tried to"`
	Failures int                  `json:"failures,omitempty" doc:"prints that failed in a row"`
}

// prints keeps the open printers, one print at a time per kiosk, and the
// printer state of every kiosk.
type prints struct {
	now func() time.Time
	log *slog.Logger

	mu    sync.Mutex
	open  map[string]kiosk.Printer // profile + address → a shared printer (its jobs run one at a time)
	locks map[string]*sync.Mutex   // kiosk → held while it prints
	state map[string]*KioskPrinter // kiosk → its printer's state
}

func newPrints(now func() time.Time, log *slog.Logger) *prints {
	return &prints{now: now, log: log, open: map[string]kiosk.Printer{}, locks: map[string]*sync.Mutex{},
		state: map[string]*KioskPrinter{}}
}

// lock serialises the prints of one kiosk: a double tap prints once.
func (p *prints) lock(device string) func() {
	p.mu.Lock()
	l := p.locks[device]
	if l == nil {
		l = &sync.Mutex{}
		p.locks[device] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// printer returns the shared printer with profile at addr.
func (p *prints) printer(ps Printers, profile, addr string) (kiosk.Printer, error) {
	key := profile + "\x00" + addr
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.open[key]; pr != nil {
		return pr, nil
	}
	pr, err := ps.Printer(profile, addr)
	if err != nil {
		return nil, err
	}
	p.open[key] = pr
	return pr, nil
}

// record keeps how a job (job true) or a check went for a kiosk's printer,
// and logs a change of its problem once.
func (p *prints) record(c queue.Client, res kiosk.PrintResult, job bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	x := p.state[c.ID]
	if x == nil || x.Profile != c.Printer.Profile || x.Address != c.Printer.Address {
		x = &KioskPrinter{State: "unknown", Profile: c.Printer.Profile, Address: c.Printer.Address}
		p.state[c.ID] = x
	}
	state, problem := "ok", ""
	if !res.OK {
		state, problem = "problem", res.Code
	}
	if state != x.State || problem != x.Problem {
		x.Since = now
		if problem != "" {
			p.log.Warn("kiosk printer: problem", "kiosk", c.ID, "name", c.Name, "problem", problem, "address", c.Printer.Address)
		} else if x.State == "problem" {
			p.log.Info("kiosk printer: ok again", "kiosk", c.ID, "name", c.Name)
		}
	}
	x.State, x.Problem = state, problem
	if res.Status.Known {
		st := res.Status
		x.Status = &st
	}
	if job {
		x.LastJob = now
		if res.OK {
			x.Failures = 0
		} else {
			x.Failures++
		}
	}
}

// list returns the printers of the kiosks given, with their state.
func (p *prints) list(kiosks []queue.Client) []KioskPrinter {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []KioskPrinter{}
	for _, c := range kiosks {
		x := KioskPrinter{State: "unknown"}
		if st := p.state[c.ID]; st != nil && st.Profile == c.Printer.Profile && st.Address == c.Printer.Address {
			x = *st
		}
		x.Device, x.Name, x.Profile, x.Address = c.ID, c.Name, c.Printer.Profile, c.Printer.Address
		x.Via = "server"
		if _, ok := c.Printer.Agent(); ok {
			x.Via = "agent"
		}
		if x.Status != nil {
			st := *x.Status
			x.Status = &st
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b KioskPrinter) int { return cmp.Compare(a.Device, b.Device) })
	return out
}

// printing registers the routes of paper tickets.
func (s *Server) printing() {
	const v1 = "/api/v1"
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/print", ID: "printTicket", Tag: "tickets", Perm: "tickets:issue", Errors: []int{404, 409, 503},
		Summary: "Print a ticket on the calling kiosk's printer (a ticket it issued, or a checked-in booking's): 200 only when the printer " +
			"confirmed it, before and after; else 409 or 503 with the printer's code (printer_paper_out, printer_offline, printer_no_answer…). " +
			"The outcome is journalled as event ticket.printed"},
		func(r *request, _ none) (PrintResponse, error) { return s.print(r) })
	add(s, op{Method: "GET", Path: v1 + "/tickets/{id}/qr", ID: "ticketCodes", Tag: "tickets", Perm: "tickets:issue", Errors: []int{404, 409},
		Summary: "The live page address of a ticket the kiosk may print, with its QR code and barcode as SVG images, for the screen " +
			"when the paper ticket could not be printed"},
		func(r *request, _ none) (TicketCodes, error) {
			pr, err := s.q.Printable(r.p, r.id())
			if err != nil {
				return TicketCodes{}, err
			}
			return s.codes(r.c, pr)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/printers", ID: "listPrinters", Tag: "events", Perm: "queue:manage", Errors: []int{404},
		Summary: "The ticket printers of the office's kiosks and how their last print or check went; check=true asks the network printers now",
		Query:   []param{{Name: "check", Doc: "query the status of every network printer now (a few seconds at most)", Type: "boolean"}}},
		func(r *request, _ none) ([]KioskPrinter, error) {
			if !r.p.Can(queue.PermManage, r.office()) {
				return nil, queue.E(queue.KindForbidden, queue.CodeForbidden, "perm", string(queue.PermManage))
			}
			if _, err := s.q.Catalog(queue.System(), r.office()); err != nil {
				return nil, err
			}
			kiosks := s.kiosksWithPrinters(r.office())
			if r.c.QueryBool("check") {
				s.checkPrinters(r.ctx(), kiosks)
			}
			out := s.prints.list(kiosks)
			l := lang(r.c)
			for i := range out {
				if out[i].Problem != "" {
					out[i].Message = s.msgs.text(l, "error."+out[i].Problem, nil)
				}
			}
			return out, nil
		})
}

// kiosksWithPrinters lists the active kiosks of an office that have a printer.
func (s *Server) kiosksWithPrinters(office string) []queue.Client {
	var out []queue.Client
	for _, c := range s.q.Clients(queue.System()) {
		if c.Office == office && c.Kind == queue.ClientKiosk && c.Active && c.Printer != nil {
			out = append(out, c)
		}
	}
	return out
}

// checkPrinters asks the network printers of kiosks for their status.
func (s *Server) checkPrinters(ctx context.Context, kiosks []queue.Client) {
	if s.cfg.Printers == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range kiosks {
		addr, ok := c.Printer.Network()
		if !ok {
			continue
		}
		p, err := s.prints.printer(s.cfg.Printers, c.Printer.Profile, addr)
		if err != nil {
			continue
		}
		wg.Go(func() {
			st, err := p.Status(ctx)
			res := kiosk.PrintResult{OK: st.Ready(), Code: st.Problem(), Status: st}
			if err != nil {
				res = kiosk.ResultOf("", err)
			}
			s.prints.record(c, res, false)
		})
	}
	wg.Wait()
}

// checkPrinter refuses a printer profile the server does not know.
func (s *Server) checkPrinter(pc *queue.PrinterConfig) error {
	if pc == nil || s.cfg.Printers == nil {
		return nil
	}
	if pc.Validate() != nil {
		return nil // the engine refuses it, with the field's path
	}
	if !s.cfg.Printers.Profile(pc.Profile) {
		return queue.Invalid("printer.profile", queue.RuleUnknown, "id", pc.Profile)
	}
	return nil
}

// pageURL is the absolute address of a ticket's live page.
func (s *Server) pageURL(c *fiber.Ctx, code string) string {
	base := s.cfg.PublicURL
	if base == "" {
		base = c.BaseURL()
	}
	return base + "/t/" + code
}

func (s *Server) codes(c *fiber.Ctx, pr queue.Printable) (TicketCodes, error) {
	r := kiosk.Receipt{Number: pr.Ticket.Number, URL: s.pageURL(c, pr.Ticket.Code), Barcode: pr.Ticket.ID}
	qr, err := r.QRSVG()
	if err != nil {
		return TicketCodes{}, err
	}
	bars, err := r.BarcodeSVG()
	if err != nil {
		return TicketCodes{}, err
	}
	uri := func(svg string) string {
		return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
	}
	return TicketCodes{URL: r.URL, QR: uri(qr), Barcode: uri(bars)}, nil
}

// print prints a ticket on the calling kiosk's printer and journals how it went.
func (s *Server) print(r *request) (PrintResponse, error) {
	dev, err := s.q.Device(r.p)
	if err != nil || dev.Printer == nil {
		if _, err := s.q.Printable(r.p, r.id()); err != nil {
			return PrintResponse{}, err
		}
		return PrintResponse{}, queue.E(queue.KindConflict, codePrinterNotConfigured)
	}
	defer s.prints.lock(dev.ID)()
	pr, err := s.q.Printable(r.p, r.id())
	if err != nil {
		return PrintResponse{}, err
	}
	if pr.Ticket.Printed {
		return PrintResponse{}, queue.E(queue.KindConflict, queue.CodeTicketPrinted, "number", pr.Ticket.Number)
	}
	job := kiosk.PrintJob{ID: newJobID(), Kiosk: dev.ID, Ticket: pr.Ticket.ID, Profile: dev.Printer.Profile,
		Receipt: kiosk.NewReceipt(pr, s.pageURL(r.c, pr.Ticket.Code))}
	var res kiosk.PrintResult
	if addr, ok := dev.Printer.Network(); ok {
		if s.cfg.Printers == nil {
			return PrintResponse{}, queue.E(queue.KindConflict, codePrinterNotConfigured)
		}
		p, err := s.prints.printer(s.cfg.Printers, dev.Printer.Profile, addr)
		if err != nil {
			s.log.Error("kiosk printer: cannot open", "kiosk", dev.ID, "profile", dev.Printer.Profile, "err", err)
			return PrintResponse{}, queue.E(queue.KindConflict, codePrinterNotConfigured)
		}
		ctx, cancel := context.WithTimeout(r.ctx(), printTimeout)
		res = kiosk.Print(ctx, p, job)
		cancel()
	} else {
		agent, _ := dev.Printer.Agent()
		ctx, cancel := context.WithTimeout(r.ctx(), agentPrintTimeout)
		res = s.agents.print(ctx, dev.Office, agent, job)
		cancel()
	}
	s.prints.record(dev, res, true)
	report := queue.PrintReport{OK: res.Err() == nil, Sent: res.Sent}
	if !report.OK {
		report.Problem = cmp.Or(res.Code, kiosk.CodePrinterUnconfirmed)
	}
	// The print happened whatever the request's context does now: journal it.
	m := r.meta()
	m.IdempotencyKey = ""
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.q.RecordPrint(ctx, m, pr.Ticket.ID, report); err != nil {
		s.log.Warn("kiosk printer: outcome not journalled", "kiosk", dev.ID, "ticket", pr.Ticket.ID, "err", err)
	}
	if report.OK {
		return PrintResponse{Printed: true, Status: res.Status}, nil
	}
	return PrintResponse{}, printError(report.Problem, res.Sent)
}

// printError maps a printer's code to the error the kiosk gets: 503 when the
// printer cannot be reached or does not answer, 409 when it answered that it
// cannot print (paper, cover, offline, failure, no confirmation).
func printError(code string, sent bool) error {
	kind := queue.KindConflict
	switch code {
	case kiosk.CodePrinterUnreachable, kiosk.CodePrinterNoAnswer:
		kind = queue.KindUnavailable
	case kiosk.CodeReceiptInvalid:
		return fmt.Errorf("web: print: %w", &kiosk.PrintError{Code: code})
	}
	if sent {
		return queue.E(kind, code, "sent", "true")
	}
	return queue.E(kind, code)
}

func newJobID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "pj-" + hex.EncodeToString(b)
}

// agents are the device agents on the office feeds and the print jobs sent
// to them that wait for an answer.
type agents struct {
	mu    sync.Mutex
	conns map[string][]*agentConn // office → agent connections, oldest first
	jobs  map[string]*agentJob    // job id → its waiter
}

// agentConn is one agent's feed connection: print jobs for it go to out,
// which the connection's writer sends. kiosks are the kiosks whose printers
// the agent said (in its hello) it drives.
type agentConn struct {
	office, id string
	kiosks     []string
	out        chan *kiosk.PrintJob
}

type agentJob struct {
	conn *agentConn
	done chan kiosk.PrintResult // buffered: the answer never blocks
}

func newAgents() *agents {
	return &agents{conns: map[string][]*agentConn{}, jobs: map[string]*agentJob{}}
}

func (a *agents) join(office, id string, kiosks []string) *agentConn {
	c := &agentConn{office: office, id: id, kiosks: slices.Clone(kiosks), out: make(chan *kiosk.PrintJob, 16)}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns[office] = append(a.conns[office], c)
	return c
}

// leave forgets a connection; the jobs it did not answer fail at once.
func (a *agents) leave(c *agentConn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns[c.office] = slices.DeleteFunc(a.conns[c.office], func(o *agentConn) bool { return o == c })
	if len(a.conns[c.office]) == 0 {
		delete(a.conns, c.office)
	}
	for id, j := range a.jobs {
		if j.conn == c {
			j.done <- kiosk.PrintResult{Job: id, Code: kiosk.CodePrinterUnreachable}
			delete(a.jobs, id)
		}
	}
}

// print sends job to a connection of the agent (any agent of the office
// when id is "") that declared job.Kiosk's printer, the newest one (an older
// one may be a dead link not yet noticed), and waits for its answer until
// ctx ends.
func (a *agents) print(ctx context.Context, office, id string, job kiosk.PrintJob) kiosk.PrintResult {
	a.mu.Lock()
	var c *agentConn
	for _, o := range slices.Backward(a.conns[office]) {
		if (id == "" || o.id == id) && slices.Contains(o.kiosks, job.Kiosk) {
			c = o
			break
		}
	}
	if c == nil {
		a.mu.Unlock()
		return kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterUnreachable}
	}
	j := &agentJob{conn: c, done: make(chan kiosk.PrintResult, 1)}
	select {
	case c.out <- &job:
		a.jobs[job.ID] = j
	default:
		a.mu.Unlock()
		return kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterUnreachable} // the agent is not reading
	}
	a.mu.Unlock()
	select {
	case res := <-j.done:
		return res
	case <-ctx.Done():
		a.mu.Lock()
		delete(a.jobs, job.ID)
		a.mu.Unlock()
		select {
		case res := <-j.done: // answered just now
			return res
		default:
		}
		return kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterNoAnswer}
	}
}

// result takes an agent's answer to a job sent over connection c.
func (a *agents) result(c *agentConn, res kiosk.PrintResult) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	j := a.jobs[res.Job]
	if j == nil || j.conn != c {
		return errors.New("no such job on this connection")
	}
	delete(a.jobs, res.Job)
	j.done <- res
	return nil
}
