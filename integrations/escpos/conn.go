package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/tarm/serial"
)

// Conn is a two-way link to a printer. net.Conn satisfies it; Serial adapts
// a serial port.
type Conn interface {
	io.ReadWriteCloser
	// SetDeadline bounds the Read and Write calls in progress and to come;
	// a call past the deadline fails with an error matching
	// os.ErrDeadlineExceeded. The zero time means no deadline.
	SetDeadline(t time.Time) error
}

// Dialer opens a Conn to one printer. Printer dials once per job and closes
// the link afterwards, so a printer restart costs nothing.
type Dialer func(ctx context.Context) (Conn, error)

// DefaultPort is the raw printing port of network printers (JetDirect).
const DefaultPort = "9100"

// TCP returns a Dialer for a network printer at addr ("host" or "host:port";
// the port defaults to 9100).
func TCP(addr string) Dialer {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, DefaultPort)
	}
	return func(ctx context.Context) (Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("escpos: dial %s: %w", addr, err)
		}
		return c, nil
	}
}

// serialPoll is how long one read of the serial port waits before it checks
// the deadline again (the driver's resolution is 0.1 s).
const serialPoll = 100 * time.Millisecond

// Serial returns a Dialer for a printer on a serial port: name is a device
// such as /dev/serial/by-id/usb-…, baud e.g. 9600 or 115200; 8N1.
func Serial(name string, baud int) Dialer {
	return func(ctx context.Context) (Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := serial.OpenPort(&serial.Config{Name: name, Baud: baud, ReadTimeout: serialPoll})
		if err != nil {
			return nil, fmt.Errorf("escpos: open %s: %w", name, err)
		}
		return &serialConn{port: p}, nil
	}
}

// serialConn gives a tarm/serial port deadlines: the port is opened with a
// short read timeout (a timed-out read returns n=0), and Read retries until
// data arrives or the deadline passes. Writes go in chunks so that a deadline
// also stops a long write to a slow port.
type serialConn struct {
	port     *serial.Port
	deadline atomic.Int64 // UnixNano; 0 = none
}

func (c *serialConn) expired() bool {
	d := c.deadline.Load()
	return d != 0 && time.Now().UnixNano() >= d
}

func (c *serialConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if c.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		n, err := c.port.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) { // EOF is the driver's timeout
			return 0, err
		}
	}
}

func (c *serialConn) Write(b []byte) (int, error) {
	const chunk = 256
	done := 0
	for done < len(b) {
		if c.expired() {
			return done, os.ErrDeadlineExceeded
		}
		n, err := c.port.Write(b[done:min(done+chunk, len(b))])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (c *serialConn) SetDeadline(t time.Time) error {
	if t.IsZero() {
		c.deadline.Store(0)
	} else {
		c.deadline.Store(t.UnixNano())
	}
	return nil
}

func (c *serialConn) Close() error { return c.port.Close() }
