package escpos_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/kiosk"
)

func TestNetworkOpensPrintersByProfile(t *testing.T) {
	n, err := escpos.NewNetwork()
	if err != nil {
		t.Fatal(err)
	}
	n.Settle = 0
	if !n.Profile("generic-escpos-80") || n.Profile("no-such-printer") {
		t.Fatal("Profile does not tell the built-in profiles")
	}
	if _, err := n.Printer("no-such-printer", "127.0.0.1:9100"); err == nil {
		t.Fatal("a printer with an unknown profile")
	}
	fake, addr := MustFakeTCP(t, ready)
	p, err := n.Printer("generic-escpos-80", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReceipt()
	res := kiosk.Print(context.Background(), p, kiosk.PrintJob{ID: "pj-1", Receipt: r})
	if !res.OK || !res.Status.Known {
		t.Fatalf("print: %+v", res)
	}
	want := cat(queries(), MustEncode(t, MustProfile(t, "generic-escpos-80"), r), queries())
	if got := fake.next(t); !bytes.Equal(got, want) {
		t.Errorf("printer received %d bytes, want %d", len(got), len(want))
	}
	if got := fake.next(t); !bytes.Equal(got, queries()) {
		t.Errorf("status after the job: % x", got)
	}
}
