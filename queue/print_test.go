package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
)

func TestPrinterConfigAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		network string
		agent   string
		valid   bool
	}{
		{"tcp://10.0.0.7:9100", "10.0.0.7:9100", "", true},
		{"tcp://printer-1.hall", "printer-1.hall:9100", "", true},
		{"tcp://[fe80::1]:9101", "[fe80::1]:9101", "", true},
		{"agent", "", "", true},
		{"agent:agent-hall", "", "agent-hall", true},
		{"tcp://", "", "", false},
		{"tcp://host:0", "", "", false},
		{"tcp://host:70000", "", "", false},
		{"tcp://host:", "", "", false},
		{"tcp://user@host:9100", "", "", false},
		{"tcp://host:9100/x", "", "", false},
		{"http://host:9100", "", "", false},
		{"agent:Bad Id", "", "", false},
		{"/dev/ttyUSB0", "", "", false},
		{"", "", "", false},
	} {
		c := queue.PrinterConfig{Profile: "generic-escpos-80", Address: tc.addr}
		err := c.Validate()
		if (err == nil) != tc.valid {
			t.Errorf("%q: Validate() = %v, want valid %t", tc.addr, err, tc.valid)
			continue
		}
		if !tc.valid {
			continue
		}
		if got, _ := c.Network(); got != tc.network {
			t.Errorf("%q: Network() = %q, want %q", tc.addr, got, tc.network)
		}
		if got, ok := c.Agent(); got != tc.agent || ok != (tc.network == "") {
			t.Errorf("%q: Agent() = %q, %t", tc.addr, got, ok)
		}
	}
	if err := (&queue.PrinterConfig{Profile: "Bad", Address: "agent"}).Validate(); queue.ErrorCode(err) != queue.CodeInvalidField {
		t.Errorf("bad profile: %v", err)
	}
}

func TestKioskPrinterIsPartOfTheClient(t *testing.T) {
	e := mustEnv(t)
	pc := &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "tcp://10.0.0.7"}
	k, err := e.Q.CreateClient(ctx, queuetest.Admin(), queue.Client{ID: "kiosk-9", Name: "Киоск", Kind: queue.ClientKiosk,
		Office: "test", Printer: pc, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Q.Authenticate(k.Token)
	if err != nil {
		t.Fatal(err)
	}
	e.Reopen() // the printer is stored with the client
	dev, err := e.Q.Device(p)
	if err != nil || dev.Printer == nil || *dev.Printer != *pc {
		t.Fatalf("device %+v, %v", dev, err)
	}
	// Only kiosks have printers, and a bad address changes nothing.
	_, err = e.Q.CreateClient(ctx, queuetest.Admin(), queue.Client{ID: "board-9", Name: "Табло", Kind: queue.ClientBoard,
		Office: "test", Printer: pc, Active: true})
	if queue.ErrorCode(err) != queue.CodeInvalidField {
		t.Errorf("a board with a printer: %v", err)
	}
	dev.Printer = &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "lpt1"}
	_, err = e.Q.UpdateClient(ctx, queuetest.Admin(), dev)
	var qe *queue.Error
	if queue.ErrorCode(err) != queue.CodeInvalidField || !errors.As(err, &qe) || qe.Params["field"] != "printer.address" {
		t.Errorf("bad address: %v", err)
	}
	if _, err := e.Q.Device(queuetest.Admin().Principal); queue.ErrorCode(err) != queue.CodeClientNotFound {
		t.Errorf("a person's device: %v", err)
	}
}

func TestPrintIsJournalled(t *testing.T) {
	e := mustEnv(t)
	kiosk := queuetest.Kiosk("test")
	v := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	if v.IssuedBy != "kiosk-1" || v.Printed {
		t.Fatalf("issued %+v", v.Ticket)
	}
	pr, err := e.Q.Printable(kiosk.Principal, v.ID)
	if err != nil || pr.Office.Name.RU != "МФЦ Тестовый" || pr.Service.Name.RU != "Паспорт РФ" || pr.Ticket.Position != 1 {
		t.Fatalf("printable %+v, %v", pr, err)
	}

	// A failed print is journalled and the ticket is not printed.
	seq := e.Q.Seq("test")
	got, err := e.Q.RecordPrint(ctx, kiosk, v.ID, queue.PrintReport{Problem: "printer_paper_out"})
	if err != nil || got.Printed {
		t.Fatalf("record failure: %+v, %v", got, err)
	}
	evs, err := e.Q.Events(ctx, queuetest.Admin().Principal, "test", seq, 10, 0)
	if err != nil || len(evs) != 1 || evs[0].Type != queue.EventTicketPrinted || evs[0].Print == nil ||
		evs[0].Print.OK || evs[0].Print.Problem != "printer_paper_out" || evs[0].Ticket.Printed || evs[0].Actor.ID != "kiosk-1" {
		t.Fatalf("events %+v, %v", evs, err)
	}
	// A confirmed one marks the ticket.
	got, err = e.Q.RecordPrint(ctx, kiosk, v.ID, queue.PrintReport{OK: true, Sent: true})
	if err != nil || !got.Printed || got.Position != 1 {
		t.Fatalf("record print: %+v, %v", got, err)
	}
	if tv, _ := e.Q.Ticket(queuetest.Admin().Principal, v.ID); !tv.Printed {
		t.Fatal("the ticket is not marked printed")
	}
	if _, err := e.Q.RecordPrint(ctx, kiosk, v.ID, queue.PrintReport{OK: true, Problem: "x"}); queue.ErrorCode(err) != queue.CodeInvalidField {
		t.Errorf("ok with a problem: %v", err)
	}
	if _, err := e.Q.RecordPrint(ctx, kiosk, v.ID, queue.PrintReport{}); queue.ErrorCode(err) != queue.CodeInvalidField {
		t.Errorf("failure without a problem: %v", err)
	}
}

func TestWhoMayPrintATicket(t *testing.T) {
	e := mustEnv(t)
	mine := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	other := queuetest.Kiosk("test")
	other.Principal.ID = "kiosk-2"
	byOperator, err := e.Q.Issue(ctx, op(1), "test", queue.IssueRequest{Service: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	// Another kiosk may not print this kiosk's ticket, nor one staff issued.
	for _, id := range []string{mine.ID, byOperator.ID} {
		if _, err := e.Q.Printable(other.Principal, id); queue.ErrorCode(err) != queue.CodeForbidden {
			t.Errorf("kiosk-2 prints %s: %v", id, err)
		}
		if _, err := e.Q.RecordPrint(ctx, other, id, queue.PrintReport{OK: true}); queue.ErrorCode(err) != queue.CodeForbidden {
			t.Errorf("kiosk-2 records %s: %v", id, err)
		}
	}
	// A checked-in booking prints at any kiosk of its office.
	b, err := e.Q.Book(ctx, queuetest.Admin(), "test", queue.BookRequest{Service: "tax", At: e.Clock.Now().Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.Q.CheckIn(ctx, queuetest.Kiosk("test"), "test", b.Code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Q.Printable(other.Principal, in.ID); err != nil {
		t.Errorf("kiosk-2 prints a checked-in booking: %v", err)
	}
	// A kiosk of another office does not see the ticket; a served one is
	// no longer printable; an unknown one is not found.
	elsewhere := queuetest.Kiosk("north")
	if _, err := e.Q.Printable(elsewhere.Principal, mine.ID); queue.ErrorCode(err) != queue.CodeTicketNotFound {
		t.Errorf("kiosk of another office: %v", err)
	}
	c := mustCall(t, e, op(1), 1)
	mustFinish(t, e, op(1), c.Ticket.ID)
	if _, err := e.Q.Printable(queuetest.Kiosk("test").Principal, c.Ticket.ID); queue.ErrorCode(err) != queue.CodeTicketWrongState {
		t.Errorf("served ticket: %v", err)
	}
	if _, err := e.Q.Printable(queuetest.Kiosk("test").Principal, "99999"); queue.ErrorCode(err) != queue.CodeTicketNotFound {
		t.Errorf("unknown ticket: %v", err)
	}
}
