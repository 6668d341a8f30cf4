package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/tarm/serial"
)

// poll is how long one read of the port waits before it checks the deadline
// again (the driver's resolution is 0.1 s).
const poll = 100 * time.Millisecond

// chunk is the largest single write, so that a deadline also stops a long
// write to a slow port between chunks.
const chunk = 256

// Port is an open serial port (8N1) with deadlines. Read, Write and Close may
// be called from different goroutines; one reader and one writer at a time.
type Port struct {
	name     string
	port     *serial.Port
	opened   os.FileInfo  // the device node as it was at open; nil if stat failed
	deadline atomic.Int64 // UnixNano; 0 = none
}

// Parity is the parity bit of a serial frame.
type Parity string

// The parities.
const (
	ParityNone Parity = "none"
	ParityEven Parity = "even"
	ParityOdd  Parity = "odd"
)

// Mode is the line speed and the shape of a character on the wire. The zero
// values of DataBits, Parity and StopBits mean 8, none and 1 (8N1).
type Mode struct {
	Baud     int    // bits per second, e.g. 9600
	DataBits int    // 5..8
	Parity   Parity // ParityNone, ParityEven or ParityOdd
	StopBits int    // 1 or 2
}

func (m Mode) config(name string) (*serial.Config, error) {
	c := &serial.Config{Name: name, Baud: m.Baud, Size: 8, Parity: serial.ParityNone, StopBits: serial.Stop1, ReadTimeout: poll}
	if m.DataBits != 0 {
		if m.DataBits < 5 || m.DataBits > 8 {
			return nil, fmt.Errorf("data bits %d: want 5..8", m.DataBits)
		}
		c.Size = byte(m.DataBits)
	}
	switch m.Parity {
	case "", ParityNone:
	case ParityEven:
		c.Parity = serial.ParityEven
	case ParityOdd:
		c.Parity = serial.ParityOdd
	default:
		return nil, fmt.Errorf("parity %q: want none, even or odd", m.Parity)
	}
	switch m.StopBits {
	case 0, 1:
	case 2:
		c.StopBits = serial.Stop2
	default:
		return nil, fmt.Errorf("stop bits %d: want 1 or 2", m.StopBits)
	}
	return c, nil
}

// Open opens the serial port name (a device such as /dev/serial/by-id/usb-…
// or /dev/ttyUSB0) in mode m.
func Open(name string, m Mode) (*Port, error) {
	cfg, err := m.config(name)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", name, err)
	}
	// Stat before opening: if the node is swapped in between, Replaced
	// reports it and the caller opens again, rather than missing the swap.
	fi, _ := os.Stat(name)
	p, err := serial.OpenPort(cfg)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", name, err)
	}
	return &Port{name: name, port: p, opened: fi}, nil
}

// Name returns the name the port was opened by.
func (p *Port) Name() string { return p.name }

// Replaced reports whether the device node at the port's name is gone or is
// no longer the node that was opened (the adapter was unplugged, or unplugged
// and plugged in again). The open port is then dead: close it and open the
// name again. A node re-created with the very same identity would not be
// seen here (a pseudo-terminal number is not reused while this port holds
// it open); the next write fails instead.
func (p *Port) Replaced() bool {
	fi, err := os.Stat(p.name)
	if err != nil {
		return true
	}
	return p.opened == nil || !os.SameFile(p.opened, fi)
}

func (p *Port) expired() bool {
	d := p.deadline.Load()
	return d != 0 && time.Now().UnixNano() >= d
}

// Read reads what the device has sent, waiting until at least one byte has
// arrived or the deadline passes (os.ErrDeadlineExceeded).
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if p.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		n, err := p.port.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) { // EOF is the driver's timeout
			return 0, err
		}
	}
}

// Write writes b in chunks, checking the deadline (os.ErrDeadlineExceeded)
// before each one. An unplugged adapter fails the write (EIO or ENODEV).
func (p *Port) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		if p.expired() {
			return done, os.ErrDeadlineExceeded
		}
		n, err := p.port.Write(b[done:min(done+chunk, len(b))])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// SetDeadline bounds the Read and Write calls in progress and to come; the
// zero time means no deadline.
func (p *Port) SetDeadline(t time.Time) error {
	if t.IsZero() {
		p.deadline.Store(0)
	} else {
		p.deadline.Store(t.UnixNano())
	}
	return nil
}

// Close closes the port.
func (p *Port) Close() error { return p.port.Close() }
