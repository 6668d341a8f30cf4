package serialport_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talon-queue/talon/integrations/serialport"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
)

func TestPortReadWriteDeadline(t *testing.T) {
	pair := serialtest.MustPair(t, "", "")
	dev := serialtest.MustOpen(t, pair.Far)
	p, err := serialport.Open(pair.Near, serialport.Mode{Baud: 9600, DataBits: 8, Parity: serialport.ParityEven, StopBits: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	dev.Expect(t, []byte("ping"))
	if _, err := dev.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if err := p.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if n, err := p.Read(b); n == 0 || err != nil || string(b[:n]) != "pong"[:n] {
		t.Fatalf("Read = %d %q, %v", n, b[:n], err)
	}
	if err := p.SetDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline = %v", err)
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write past the deadline = %v", err)
	}
}

func TestPortReplaced(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyUSB-display")
	pair := serialtest.MustPair(t, link, "")
	p, err := serialport.Open(link, serialport.Mode{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Replaced() {
		t.Fatal("Replaced = true for the port just opened")
	}
	pair.Unplug(t)
	if !p.Replaced() {
		t.Error("Replaced = false after unplugging")
	}
	serialtest.MustPair(t, link, "")
	if !p.Replaced() {
		t.Error("Replaced = false for a new device under the same name")
	}
}

func TestOpenRejectsMode(t *testing.T) {
	for _, m := range []serialport.Mode{
		{Baud: 9600, DataBits: 9},
		{Baud: 9600, Parity: "mark"},
		{Baud: 9600, StopBits: 3},
		{Baud: 12345},
	} {
		if p, err := serialport.Open("/dev/null", m); err == nil {
			p.Close()
			t.Errorf("Open(%+v) = nil error", m)
		}
	}
	if _, err := serialport.Open(filepath.Join(t.TempDir(), "none"), serialport.Mode{Baud: 9600}); err == nil {
		t.Error("Open of a missing device = nil error")
	}
}
