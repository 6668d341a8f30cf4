package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/agent"
	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// Status bytes a printer sends (the fixed bits 0x12 plus flags), as in
// integrations/escpos's tests.
const (
	stOK       = 0x12
	stOffline  = 0x1a // DLE EOT 1: offline
	stStopped  = 0x32 // DLE EOT 2: stopped by paper end
	stPaperOut = 0x72 // DLE EOT 4: near end + roll end
)

// replyFunc answers the i-th status query (counted over the fake's life)
// for DLE EOT n; ok false means stay silent.
type replyFunc func(n byte, i int) (b byte, ok bool)

func ready(byte, int) (byte, bool) { return stOK, true }

func paperOut(n byte, _ int) (byte, bool) {
	return map[byte]byte{1: stOffline, 2: stStopped, 4: stPaperOut}[n], true
}

// fakePrinter is an ESC/POS printer on the far end of a pty pair: it keeps
// what it receives and answers DLE EOT 1/2/4 as a printer does, as soon as
// the query arrives, wherever it is in the stream.
type fakePrinter struct {
	f    *os.File
	more chan struct{}
	done chan struct{}

	mu      sync.Mutex
	reply   replyFunc
	all     []byte
	queries int
}

// mustFakePrinter opens path (the far end of a serialtest.Pair) as a
// printer answering with reply, until the test ends.
func mustFakePrinter(tb testing.TB, path string, reply replyFunc) *fakePrinter {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	p := &fakePrinter{f: f, reply: reply, more: make(chan struct{}, 1), done: make(chan struct{})}
	go p.serve()
	tb.Cleanup(func() {
		f.Close()
		<-p.done
	})
	return p
}

func (p *fakePrinter) serve() {
	defer close(p.done)
	buf := make([]byte, 4096)
	for {
		n, err := p.f.Read(buf)
		for _, c := range buf[:n] {
			p.mu.Lock()
			p.all = append(p.all, c)
			k := len(p.all)
			query := k >= 3 && p.all[k-3] == 0x10 && p.all[k-2] == 0x04
			i, reply := p.queries, p.reply
			if query {
				p.queries++
			}
			p.mu.Unlock()
			if !query {
				continue
			}
			select {
			case p.more <- struct{}{}:
			default:
			}
			if b, ok := reply(c, i); ok {
				if _, err := p.f.Write([]byte{b}); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// setReply changes how the printer answers from the next query on.
func (p *fakePrinter) setReply(r replyFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reply = r
}

// received returns everything received so far: all the bytes sent before
// an answered status query are in it.
func (p *fakePrinter) received() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.all)
}

// waitQueries waits until n status queries have arrived in all.
func (p *fakePrinter) waitQueries(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		got := p.queries
		p.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-p.more:
		case <-deadline:
			tb.Fatalf("the printer got %d status queries, want %d", got, n)
		}
	}
}

// queries is one status check as the printer receives it: DLE EOT 1, 2, 4.
func queries() []byte {
	return slices.Concat(escpos.StatusQuery(1), escpos.StatusQuery(2), escpos.StatusQuery(4))
}

// printingServer is the real server of realserver_test.go with kiosk-1,
// whose printer hangs on a device agent (address "agent"), and a second
// agent device, agent-2.
type printingServer struct {
	*realServer
	Kiosk  string // kiosk-1's token
	Agent2 string // agent-2's token
}

func mustPrintingServer(tb testing.TB, profile string) *printingServer {
	tb.Helper()
	s := &printingServer{realServer: mustRealServer(tb)}
	ctx := context.Background()
	k, err := s.env.Q.CreateClient(ctx, queuetest.Admin(), queue.Client{ID: "kiosk-1", Name: "Киоск у входа",
		Kind: queue.ClientKiosk, Office: "test", Active: true, Printer: &queue.PrinterConfig{Profile: profile, Address: "agent"}})
	if err != nil {
		tb.Fatal(err)
	}
	a2, err := s.env.Q.CreateClient(ctx, queuetest.Admin(), queue.Client{ID: "agent-2", Name: "Агент табло второго этажа",
		Kind: queue.ClientAgent, Office: "test", Active: true})
	if err != nil {
		tb.Fatal(err)
	}
	s.Kiosk, s.Agent2 = k.Token, a2.Token
	return s
}

// call makes an API request as the kiosk; out receives a 2xx answer, the
// error code of any other is returned.
func (s *printingServer) call(tb testing.TB, method, path string, body, out any) (int, string) {
	tb.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Kiosk)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		var e struct{ Error web.ErrorDetail }
		if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
			tb.Fatalf("%s %s: %d without an error body: %v", method, path, res.StatusCode, err)
		}
		return res.StatusCode, e.Error.Code
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			tb.Fatal(err)
		}
	}
	return res.StatusCode, ""
}

// mustIssue issues a passport ticket at the kiosk.
func (s *printingServer) mustIssue(tb testing.TB) queue.TicketView {
	tb.Helper()
	var v queue.TicketView
	if st, code := s.call(tb, "POST", "/api/v1/offices/test/tickets", map[string]string{"service": "passport"}, &v); st != 201 {
		tb.Fatalf("issue: %d %s", st, code)
	}
	return v
}

// print asks for the kiosk's paper ticket, as the kiosk page does.
func (s *printingServer) print(tb testing.TB, id string) (int, web.PrintResponse, string) {
	tb.Helper()
	var res web.PrintResponse
	st, code := s.call(tb, "POST", "/api/v1/tickets/"+id+"/print", nil, &res)
	return st, res, code
}

// printAsync is print in the background.
func (s *printingServer) printAsync(tb testing.TB, id string) <-chan printAnswer {
	ch := make(chan printAnswer, 1)
	go func() {
		st, res, code := s.print(tb, id)
		ch <- printAnswer{st, res, code}
	}()
	return ch
}

type printAnswer struct {
	st   int
	res  web.PrintResponse
	code string
}

// mustReceipt is the receipt the server sends for ticket id now.
func (s *printingServer) mustReceipt(tb testing.TB, id string) kiosk.Receipt {
	tb.Helper()
	p, err := s.env.Q.Authenticate(s.Kiosk)
	if err != nil {
		tb.Fatal(err)
	}
	pr, err := s.env.Q.Printable(p, id)
	if err != nil {
		tb.Fatal(err)
	}
	return kiosk.NewReceipt(pr, s.URL()+"/t/"+pr.Ticket.Code)
}

// printEvents returns the ticket.printed events of ticket id.
func (s *printingServer) printEvents(tb testing.TB, id string) []queue.PrintReport {
	tb.Helper()
	evs, err := s.env.Q.Events(context.Background(), queuetest.Admin().Principal, "test", 0, 1000, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var out []queue.PrintReport
	for _, e := range evs {
		if e.Type == queue.EventTicketPrinted && e.Ticket != nil && e.Ticket.ID == id && e.Print != nil {
			out = append(out, *e.Print)
		}
	}
	return out
}

func mustPrinterProfile(tb testing.TB, id string) profiles.Printer {
	tb.Helper()
	p, err := profiles.PrinterByID(id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// A kiosk's ticket printed by the agent on its serial printer: the exact
// bytes arrive between status checks, the kiosk hears printed:true, the
// journal says printed; and a call shows on the window display while the
// printer is busy with the next ticket.
func TestAgentPrintsKioskTicket(t *testing.T) {
	const prof, sign = "generic-escpos-80", "alpha-betabrite"
	srv := mustPrintingServer(t, prof)
	pp, dp := serialtest.MustPair(t, "", ""), serialtest.MustPair(t, "", "")
	printer := mustFakePrinter(t, pp.Far, ready)
	display := serialtest.MustOpen(t, dp.Far)
	logs := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: srv.Token, Office: "test", BlinkFor: time.Hour,
		Displays: []agent.DisplayConfig{{Window: 1, Port: dp.Near, Profile: sign, Address: 1}},
		Printers: []agent.PrinterConfig{{Kiosk: "kiosk-1", Port: pp.Near, Baud: 115200, Profile: prof}},
	})
	logs.Expect(t, "in sync", "from", "snapshot")
	display.Expect(t, frame(t, sign, 1, leddisplay.Clear, ""))

	v := srv.mustIssue(t)
	receipt := srv.mustReceipt(t, v.ID)
	st, res, code := srv.print(t, v.ID)
	if st != 200 || !res.Printed || !res.Status.Known || code != "" {
		t.Fatalf("print = %d %+v %q, want 200 printed", st, res, code)
	}
	ticket, err := escpos.EncodeReceipt(mustPrinterProfile(t, prof), receipt)
	if err != nil {
		t.Fatal(err)
	}
	// Checked before, the ticket, checked after the cut, and the status of
	// the result (kiosk.Print).
	if got, want := printer.received(), slices.Concat(queries(), ticket, queries(), queries()); !bytes.Equal(got, want) {
		t.Errorf("printer got %d bytes, want %d:\n% x\nwant\n% x", len(got), len(want), got, want)
	}
	if evs := srv.printEvents(t, v.ID); len(evs) != 1 || !evs[0].OK || !evs[0].Sent {
		t.Errorf("ticket.printed events %+v, want one printed", evs)
	}
	logs.Expect(t, "ticket printed", "kiosk", "kiosk-1", "ticket", v.ID)

	// The printer holds its answer to the next ticket's first status query;
	// meanwhile window 1 calls, and its display shows it at once.
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	printer.setReply(func(byte, int) (byte, bool) { <-gate; return stOK, true })
	w := srv.mustIssue(t)
	done := srv.printAsync(t, w.ID)
	printer.waitQueries(t, 10) // 9 for the first ticket
	called := srv.mustCall(t, op1, 1)
	display.Expect(t, frame(t, sign, 1, leddisplay.Blink, called.Number))
	release()
	if got := <-done; got.st != 200 || !got.res.Printed {
		t.Fatalf("print while the display changes = %+v, want 200 printed", got)
	}
}

// The printer is out of paper: the kiosk gets printer_paper_out, the
// journal says not printed, and no ticket bytes went to the printer.
func TestAgentPrinterPaperOut(t *testing.T) {
	const prof = "pos-58-raster"
	srv := mustPrintingServer(t, prof)
	pp := serialtest.MustPair(t, "", "")
	printer := mustFakePrinter(t, pp.Far, paperOut)
	logs := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: srv.Token, Office: "test",
		Printers: []agent.PrinterConfig{{Kiosk: "kiosk-1", Port: pp.Near, Profile: prof}}, // no displays: a print-only agent
	})
	logs.Expect(t, "in sync", "from", "snapshot")

	v := srv.mustIssue(t)
	if st, res, code := srv.print(t, v.ID); st != 409 || code != kiosk.CodePrinterPaperOut || res.Printed {
		t.Fatalf("print = %d %+v %q, want 409 %s", st, res, code, kiosk.CodePrinterPaperOut)
	}
	if evs := srv.printEvents(t, v.ID); len(evs) != 1 || evs[0].OK || evs[0].Problem != kiosk.CodePrinterPaperOut || evs[0].Sent {
		t.Errorf("ticket.printed events %+v, want one not printed for paper out", evs)
	}
	if got := printer.received(); !bytes.Equal(got, queries()) {
		t.Errorf("printer got % x, want only the status check", got)
	}
	logs.Expect(t, "ticket not printed", "kiosk", "kiosk-1", "code", kiosk.CodePrinterPaperOut)
}

// An agent that has no printer for the kiosk never gets its jobs: alone, the
// kiosk hears printer_unreachable at once; beside the agent with the
// printer, the job goes to that one.
func TestAgentWithoutThePrinterGetsNoJob(t *testing.T) {
	const prof, chain = "generic-escpos-80", "qsystem-rs485"
	srv := mustPrintingServer(t, prof)
	dp := serialtest.MustPair(t, "", "")
	serialtest.MustOpen(t, dp.Far)
	displays := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: srv.Agent2, Office: "test",
		Displays: []agent.DisplayConfig{{Window: 2, Port: dp.Near, Profile: chain, Address: 2}},
	})
	displays.Expect(t, "in sync", "from", "snapshot")
	v := srv.mustIssue(t)
	if st, _, code := srv.print(t, v.ID); st != 503 || code != kiosk.CodePrinterUnreachable {
		t.Fatalf("print through a display-only agent = %d %q, want 503 %s", st, code, kiosk.CodePrinterUnreachable)
	}

	pp := serialtest.MustPair(t, "", "")
	mustFakePrinter(t, pp.Far, ready)
	printing := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: srv.Token, Office: "test",
		Printers: []agent.PrinterConfig{{Kiosk: "kiosk-1", Port: pp.Near, Profile: prof}},
	})
	printing.Expect(t, "in sync", "from", "snapshot")
	if st, res, code := srv.print(t, v.ID); st != 200 || !res.Printed {
		t.Fatalf("print = %d %+v %q, want 200 printed", st, res, code)
	}
	printing.Expect(t, "print job", "kiosk", "kiosk-1", "ticket", v.ID)
	if displays.Has("print job") {
		t.Error("the display-only agent was sent a print job")
	}
}

// A job for a kiosk the agent has no printer for (a server that sends it
// anyway) is answered at once as printer_unreachable; the hello lists the
// kiosks the agent prints for.
func TestAgentAnswersJobForAnotherKiosk(t *testing.T) {
	srv := MustServer(t, "mfc-1", "secret")
	logs := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: "secret", Office: "mfc-1",
		Printers: []agent.PrinterConfig{
			{Kiosk: "kiosk-2", Port: "/dev/talon-test-no-such-port", Profile: "pos-58-raster"},
			{Kiosk: "kiosk-1", Port: "/dev/talon-test-no-such-port-either", Profile: "generic-escpos-80"},
		},
	})
	if h := srv.ExpectHello(t, 0); !slices.Equal(h.Prints, []string{"kiosk-1", "kiosk-2"}) {
		t.Errorf("hello prints %q, want kiosk-1 and kiosk-2", h.Prints)
	}
	logs.Expect(t, "in sync", "from", "snapshot")

	answer := func() kiosk.PrintResult {
		t.Helper()
		var res struct {
			Type string `json:"type"`
			kiosk.PrintResult
		}
		b := srv.Next(t)
		if err := json.Unmarshal(b, &res); err != nil || res.Type != "print_result" {
			t.Fatalf("agent sent %s, want a print_result", b)
		}
		return res.PrintResult
	}
	srv.Send([]byte(`{"type":"print","job":{"id":"pj-9","kiosk":"kiosk-9","ticket":"17","profile":"generic-escpos-80",` +
		`"receipt":{"number":"П001","ahead":0}}}`))
	if got := answer(); got.Job != "pj-9" || got.OK || got.Code != kiosk.CodePrinterUnreachable || got.Sent {
		t.Errorf("answer for another kiosk %+v, want pj-9 %s", got, kiosk.CodePrinterUnreachable)
	}
	// kiosk-1's printer is not plugged in: the job is tried and fails the same way.
	srv.Send([]byte(`{"type":"print","job":{"id":"pj-1","kiosk":"kiosk-1","ticket":"18","profile":"generic-escpos-80",` +
		`"receipt":{"number":"П002","ahead":0}}}`))
	if got := answer(); got.Job != "pj-1" || got.OK || got.Code != kiosk.CodePrinterUnreachable {
		t.Errorf("answer for an unplugged printer %+v, want pj-1 %s", got, kiosk.CodePrinterUnreachable)
	}
	logs.Expect(t, "ticket not printed", "kiosk", "kiosk-1", "code", kiosk.CodePrinterUnreachable)
}
