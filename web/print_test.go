package web_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// Status bytes a printer answers DLE EOT n with.
var (
	statusReady    = map[byte]byte{1: 0x12, 2: 0x12, 4: 0x12}
	statusPaperOut = map[byte]byte{1: 0x1a, 2: 0x32, 4: 0x72}
)

// fakePrinter is a network ticket printer on 127.0.0.1: it keeps what it
// receives and answers each DLE EOT status query on the fly, ready or out of
// paper as told.
type fakePrinter struct {
	t        *testing.T
	addr     string
	paperOut atomic.Bool
	jobs     chan []byte // the bytes of each connection that carried a ticket (ESC @)
}

func mustFakePrinter(t *testing.T) *fakePrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePrinter{t: t, addr: ln.Addr().String(), jobs: make(chan []byte, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				f.serve(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return f
}

func (f *fakePrinter) serve(c net.Conn) {
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		for _, b := range buf[:n] {
			got = append(got, b)
			if k := len(got); k >= 3 && got[k-3] == 0x10 && got[k-2] == 0x04 {
				st := statusReady
				if f.paperOut.Load() {
					st = statusPaperOut
				}
				c.Write([]byte{st[b]})
			}
		}
		if err != nil {
			break
		}
	}
	if bytes.Contains(got, []byte{0x1b, 0x40}) {
		f.jobs <- got
	}
}

// nextJob returns the bytes of the next ticket printed.
func (f *fakePrinter) nextJob() []byte {
	f.t.Helper()
	select {
	case b := <-f.jobs:
		return b
	case <-time.After(15 * time.Second):
		f.t.Fatal("the printer received no ticket")
		return nil
	}
}

// noJob checks that no ticket reached the printer.
func (f *fakePrinter) noJob() {
	f.t.Helper()
	select {
	case b := <-f.jobs:
		f.t.Fatalf("the printer received a ticket: % x", b)
	default:
	}
}

// cp866 decodes printer bytes with iconv, independently of our encoder.
func cp866(t *testing.T, b []byte) string {
	t.Helper()
	bin := queuetest.MustTool(t, "iconv", "libc-bin")
	cmd := exec.Command(bin, "-f", "CP866", "-t", "UTF-8")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("iconv: %v", err)
	}
	return string(out)
}

// setPrinter gives a kiosk client a printer through the clients API.
func (s *server) setPrinter(id string, pc *queue.PrinterConfig) {
	s.t.Helper()
	admin := s.login("root")
	var cs []queue.Client
	if st := admin.do("GET", "/api/v1/clients", nil, &cs); st != 200 {
		s.t.Fatalf("clients: %d", st)
	}
	for _, c := range cs {
		if c.ID == id {
			c.Printer = pc
			if st, b := admin.raw("PUT", "/api/v1/clients/"+id, c, nil); st != 200 {
				s.t.Fatalf("set printer of %s: %d %s", id, st, b)
			}
			return
		}
	}
	s.t.Fatalf("no client %s", id)
}

// kioskIssue issues a ticket as the kiosk.
func (s *server) kioskIssue(service string) queue.TicketView {
	s.t.Helper()
	var v queue.TicketView
	if st := s.as(s.Kiosk).do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": service}, &v); st != 201 {
		s.t.Fatalf("kiosk issue: %d", st)
	}
	return v
}

// printEvents returns the ticket.printed events of a ticket.
func (s *server) printEvents(id string) []*queue.Event {
	s.t.Helper()
	var evs []*queue.Event
	if st := s.as(s.APIKey).do("GET", "/api/v1/offices/test/events?limit=1000", nil, &evs); st != 200 {
		s.t.Fatalf("events: %d", st)
	}
	var out []*queue.Event
	for _, e := range evs {
		if e.Type == queue.EventTicketPrinted && e.Ticket != nil && e.Ticket.ID == id {
			out = append(out, e)
		}
	}
	return out
}

// printers returns the kiosk printers a manager sees.
func (s *server) printers(query string) []web.KioskPrinter {
	s.t.Helper()
	var ps []web.KioskPrinter
	if st := s.login("boss").do("GET", "/api/v1/offices/test/printers"+query, nil, &ps); st != 200 {
		s.t.Fatalf("printers: %d", st)
	}
	return ps
}

func TestPrintOnANetworkPrinter(t *testing.T) {
	s := mustServer(t)
	p := mustFakePrinter(t)
	kiosk1 := s.as(s.Kiosk)
	v := s.kioskIssue("passport")

	// Without a printer the kiosk is told so, and nothing is journalled.
	st, b := kiosk1.raw("POST", "/api/v1/tickets/"+v.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 409 || e.Code != "printer_not_configured" {
		t.Fatalf("print without a printer: %d %+v", st, e)
	}
	if ps := s.printers(""); len(ps) != 0 {
		t.Errorf("printers %+v, want none", ps)
	}

	s.setPrinter("kiosk-1", &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "tcp://" + p.addr})
	if ps := s.printers(""); len(ps) != 1 || ps[0].Device != "kiosk-1" || ps[0].State != "unknown" || ps[0].Via != "server" {
		t.Fatalf("printers before any print: %+v", ps)
	}
	var res web.PrintResponse
	if st := kiosk1.do("POST", "/api/v1/tickets/"+v.ID+"/print", nil, &res); st != 200 || !res.Printed || !res.Status.Known {
		t.Fatalf("print: %d %+v", st, res)
	}
	// The printer got the ticket: office, number, service, the live page as
	// a native QR code, the ticket id as a CODE128 barcode.
	job := p.nextJob()
	text := cp866(t, job)
	for _, want := range []string{"МФЦ Тестовый", v.Number, "Паспорт РФ", "Выдан: 24.11.2026 10:00", "Перед вами: никого",
		s.URL + "/t/" + v.Code, "{B" + v.ID} {
		if !strings.Contains(text, want) {
			t.Errorf("the printed ticket lacks %q:\n%q", want, text)
		}
	}
	evs := s.printEvents(v.ID)
	if len(evs) != 1 || evs[0].Print == nil || !evs[0].Print.OK || !evs[0].Ticket.Printed || evs[0].Actor.ID != "kiosk-1" {
		t.Fatalf("print events %+v", evs)
	}
	var got queue.TicketView
	s.as(s.APIKey).do("GET", "/api/v1/tickets/"+v.ID, nil, &got)
	if !got.Printed || got.Status != queue.StatusWaiting {
		t.Errorf("ticket after printing: %+v", got.Ticket)
	}
	// Printed once is printed: a second tap does not waste paper.
	st, b = kiosk1.raw("POST", "/api/v1/tickets/"+v.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 409 || e.Code != queue.CodeTicketPrinted {
		t.Errorf("second print: %d %+v", st, e)
	}
	p.noJob()
	if ps := s.printers(""); ps[0].State != "ok" || ps[0].LastJob.IsZero() || ps[0].Status == nil {
		t.Errorf("printers after a print: %+v", ps)
	}

	// The roll runs out: the kiosk gets the printer's code and a message in
	// its language, the journal says not printed, managers see the problem.
	p.paperOut.Store(true)
	w := s.kioskIssue("tax")
	kiosk1.lang = "en"
	st, b = kiosk1.raw("POST", "/api/v1/tickets/"+w.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 409 || e.Code != kiosk.CodePrinterPaperOut || e.Message != "The ticket printer is out of paper" {
		t.Fatalf("paper out: %d %+v", st, e)
	}
	p.noJob()
	evs = s.printEvents(w.ID)
	if len(evs) != 1 || evs[0].Print.OK || evs[0].Print.Problem != kiosk.CodePrinterPaperOut || evs[0].Ticket.Printed {
		t.Fatalf("paper-out events %+v", evs)
	}
	ps := s.printers("")
	if ps[0].State != "problem" || ps[0].Problem != kiosk.CodePrinterPaperOut || ps[0].Message != "В принтере талонов закончилась бумага" ||
		ps[0].Failures != 1 || ps[0].Status == nil || !ps[0].Status.PaperOut {
		t.Fatalf("printers after paper out: %+v", ps)
	}
	// Someone puts a new roll in; a manager's check sees it at once.
	p.paperOut.Store(false)
	if ps := s.printers("?check=true"); ps[0].State != "ok" || ps[0].Failures != 1 {
		t.Errorf("printers after the check: %+v", ps)
	}
	if st := kiosk1.do("POST", "/api/v1/tickets/"+w.ID+"/print", nil, &res); st != 200 {
		t.Fatalf("print after the new roll: %d", st)
	}
	p.nextJob()
	if ps := s.printers(""); ps[0].Failures != 0 {
		t.Errorf("failures after a good print: %+v", ps)
	}

	// A printer that is off: 503 printer_unreachable.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := dead.Addr().String()
	dead.Close()
	s.setPrinter("kiosk-1", &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "tcp://" + addr})
	x := s.kioskIssue("tax")
	st, b = kiosk1.raw("POST", "/api/v1/tickets/"+x.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 503 || e.Code != kiosk.CodePrinterUnreachable {
		t.Errorf("printer off: %d %+v", st, e)
	}
}

func TestWhatAKioskMayPrint(t *testing.T) {
	s := mustServer(t)
	p := mustFakePrinter(t)
	s.setPrinter("kiosk-1", &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "tcp://" + p.addr})
	kiosk1 := s.as(s.Kiosk)
	byAPI := s.issue("passport")
	for path, want := range map[string]int{
		"/api/v1/tickets/" + byAPI.ID + "/print": 403, // not its own ticket
		"/api/v1/tickets/" + byAPI.ID + "/qr":    403,
		"/api/v1/tickets/424242/print":           404,
		"/api/v1/tickets/nonsense/qr":            404,
	} {
		method := "GET"
		if strings.HasSuffix(path, "/print") {
			method = "POST"
		}
		if st, b := kiosk1.raw(method, path, nil, nil); st != want {
			t.Errorf("%s %s: %d %s, want %d", method, path, st, b, want)
		}
	}
	p.noJob()
	// A board may not print at all.
	if st, _ := s.as(s.Board).raw("POST", "/api/v1/tickets/"+byAPI.ID+"/print", nil, nil); st != 403 && st != 404 {
		t.Errorf("board prints: %d", st)
	}

	// The QR code of its own ticket, for the screen.
	v := s.kioskIssue("passport")
	var codes web.TicketCodes
	if st := kiosk1.do("GET", "/api/v1/tickets/"+v.ID+"/qr", nil, &codes); st != 200 {
		t.Fatalf("qr: %d", st)
	}
	if codes.URL != s.URL+"/t/"+v.Code || !strings.HasPrefix(codes.QR, "data:image/svg+xml;base64,") ||
		!strings.HasPrefix(codes.Barcode, "data:image/svg+xml;base64,") {
		t.Errorf("codes %+v", codes)
	}

	// The printer configuration is checked where it is set.
	admin := s.login("root")
	for _, pc := range []queue.PrinterConfig{
		{Profile: "no-such-printer", Address: "tcp://10.0.0.5"},
		{Profile: "generic-escpos-80", Address: "lpt1"},
	} {
		c := queue.Client{ID: "kiosk-1", Name: "Киоск 1", Kind: queue.ClientKiosk, Office: "test", Active: true, Printer: &pc}
		st, b := admin.raw("PUT", "/api/v1/clients/kiosk-1", c, nil)
		if e := apiError(t, b); st != 400 || e.Code != queue.CodeInvalidField || !strings.HasPrefix(e.Params["field"], "printer.") {
			t.Errorf("printer %+v: %d %+v", pc, st, e)
		}
	}
}

// agentConn is a device agent on the office feed, as the agent program
// would be: it says hello and answers print jobs.
type agentConn struct {
	t *testing.T
	c *websocket.Conn
}

// connectAgent connects an agent that drives the printers of kiosks.
func (s *server) connectAgent(token string, kiosks ...string) *agentConn {
	s.t.Helper()
	f := s.dialFeed("test", nil, nil)
	if err := f.c.WriteJSON(web.FeedHello{Token: token, Prints: kiosks}); err != nil {
		s.t.Fatal(err)
	}
	if m := f.next(); m.Type != "snapshot" {
		s.t.Fatalf("agent: first message %+v", m)
	}
	return &agentConn{t: s.t, c: f.c}
}

// nextJob reads messages until a print job.
func (a *agentConn) nextJob() *kiosk.PrintJob {
	a.t.Helper()
	for {
		a.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := a.c.ReadMessage()
		if err != nil {
			a.t.Fatalf("agent: %v", err)
		}
		var m web.FeedMessage
		if err := json.Unmarshal(b, &m); err != nil {
			a.t.Fatal(err)
		}
		if m.Type == "print" {
			if m.Job == nil {
				a.t.Fatalf("print message without a job: %s", b)
			}
			return m.Job
		}
	}
}

func (a *agentConn) answer(r kiosk.PrintResult) {
	a.t.Helper()
	if err := a.c.WriteJSON(web.FeedPrintResult{Type: "print_result", PrintResult: r}); err != nil {
		a.t.Fatal(err)
	}
}

func TestPrintThroughADeviceAgent(t *testing.T) {
	s := mustServer(t)
	admin := s.login("root")
	var agentTok queue.ClientToken
	if st := admin.do("POST", "/api/v1/clients", queue.Client{ID: "agent-1", Name: "Агент зала", Kind: queue.ClientAgent,
		Office: "test", Active: true}, &agentTok); st != 201 {
		t.Fatalf("create agent: %d", st)
	}
	s.setPrinter("kiosk-1", &queue.PrinterConfig{Profile: "pos-58-raster", Address: "agent:agent-1"})
	kiosk1 := s.as(s.Kiosk)

	// No agent is connected: the printer cannot be reached.
	v := s.kioskIssue("passport")
	st, b := kiosk1.raw("POST", "/api/v1/tickets/"+v.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 503 || e.Code != kiosk.CodePrinterUnreachable {
		t.Fatalf("print without the agent: %d %+v", st, e)
	}
	// The agent is connected for its displays only: it gets no job, and the
	// kiosk hears at once.
	s.connectAgent(agentTok.Token)
	u := s.kioskIssue("passport")
	st, b = kiosk1.raw("POST", "/api/v1/tickets/"+u.ID+"/print", nil, nil)
	if e := apiError(t, b); st != 503 || e.Code != kiosk.CodePrinterUnreachable {
		t.Fatalf("print through a display-only agent: %d %+v", st, e)
	}

	a := s.connectAgent(agentTok.Token, "kiosk-2", "kiosk-1")
	type answer struct {
		st  int
		res web.PrintResponse
		err web.ErrorDetail
	}
	printAsync := func(id string) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/tickets/"+id+"/print", nil)
			req.Header.Set("Authorization", "Bearer "+s.Kiosk)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				ch <- answer{}
				return
			}
			defer res.Body.Close()
			var out answer
			out.st = res.StatusCode
			var body struct {
				web.PrintResponse
				Error web.ErrorDetail `json:"error"`
			}
			json.NewDecoder(res.Body).Decode(&body)
			out.res, out.err = body.PrintResponse, body.Error
			ch <- out
		}()
		return ch
	}

	// The job goes to the agent with the receipt; its answer is the kiosk's.
	done := printAsync(v.ID)
	job := a.nextJob()
	if job.Kiosk != "kiosk-1" || job.Ticket != v.ID || job.Profile != "pos-58-raster" || job.Receipt.Number != v.Number ||
		job.Receipt.Service != "Паспорт РФ" || job.Receipt.Office != "МФЦ Тестовый" || job.Receipt.Barcode != v.ID ||
		job.Receipt.URL != s.URL+"/t/"+v.Code || job.Receipt.Issued.Format("15:04 -07:00") != "10:00 +03:00" {
		t.Fatalf("job %+v", job)
	}
	a.answer(kiosk.PrintResult{Job: job.ID, OK: true, Sent: true, Status: kiosk.PrinterStatus{Known: true, PaperNearEnd: true}})
	if got := <-done; got.st != 200 || !got.res.Printed || !got.res.Status.PaperNearEnd {
		t.Fatalf("agent print: %+v", got)
	}
	if evs := s.printEvents(v.ID); len(evs) != 2 || evs[0].Print.OK || evs[0].Print.Problem != kiosk.CodePrinterUnreachable || !evs[1].Print.OK {
		t.Errorf("events %+v", evs)
	}
	if ps := s.printers(""); len(ps) != 1 || ps[0].Via != "agent" || ps[0].State != "ok" || ps[0].Status == nil || !ps[0].Status.PaperNearEnd {
		t.Errorf("printers %+v", ps)
	}

	// The agent's printer is out of paper.
	w := s.kioskIssue("tax")
	done = printAsync(w.ID)
	job = a.nextJob()
	a.answer(kiosk.PrintResult{Job: "pj-someone-else", OK: true}) // not this job: ignored
	a.answer(kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterPaperOut, Status: kiosk.PrinterStatus{Known: true, PaperOut: true}})
	if got := <-done; got.st != 409 || got.err.Code != kiosk.CodePrinterPaperOut {
		t.Fatalf("agent paper out: %+v", got)
	}
	if evs := s.printEvents(w.ID); len(evs) != 1 || evs[0].Print.OK || evs[0].Print.Problem != kiosk.CodePrinterPaperOut {
		t.Errorf("events %+v", evs)
	}

	// The agent goes away with a job: the kiosk hears at once.
	done = printAsync(w.ID)
	a.nextJob()
	a.c.Close()
	select {
	case got := <-done:
		if got.st != 503 || got.err.Code != kiosk.CodePrinterUnreachable {
			t.Errorf("agent gone: %+v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the kiosk waits for an agent that went away")
	}
}

func TestPublicTicketETag(t *testing.T) {
	s := mustServer(t)
	v := s.kioskIssue("passport")
	c := s.as("")
	path := "/api/v1/public/tickets/" + v.Code
	req := func(tag string) (int, []byte) {
		return c.raw("GET", path, nil, map[string]string{"If-None-Match": tag})
	}
	res, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tag := res.Header.Get("ETag")
	if res.StatusCode != 200 || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("first answer %d, ETag %q", res.StatusCode, tag)
	}
	if st, b := req(tag); st != 304 || len(b) != 0 {
		t.Errorf("unchanged: %d %s, want 304 without a body", st, b)
	}
	s.issue("passport") // someone behind does not change this ticket's view
	if st, _ := req(tag); st != 304 {
		t.Errorf("after another issue: %d", st)
	}
	s.callNext(1)
	st, b := req(tag)
	var pub queue.TicketView
	if err := json.Unmarshal(b, &pub); st != 200 || err != nil || pub.Status != queue.StatusCalled || pub.Window != 1 {
		t.Errorf("after the call: %d %s", st, b)
	}
	res, err = http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if now := res.Header.Get("ETag"); now == tag {
		t.Error("the ETag did not change with the ticket")
	} else if st, _ := req(`"nope", W/` + now); st != 304 {
		t.Errorf("the current tag among others: %d", st)
	}
}

func TestEveryPrinterCodeHasAMessage(t *testing.T) {
	ru, en := readCatalog(t, "ru"), readCatalog(t, "en")
	for _, code := range append(kiosk.PrintCodes(), "printer_not_configured") {
		if ru["error."+code] == "" || en["error."+code] == "" {
			t.Errorf("no message for printer code %s", code)
		}
	}
}
