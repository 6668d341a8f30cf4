package escpos

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/talon-queue/talon/integrations/serialport"
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

// Serial returns a Dialer for a printer on a serial port: name is a device
// such as /dev/serial/by-id/usb-…, baud e.g. 9600 or 115200; 8N1.
func Serial(name string, baud int) Dialer {
	return func(ctx context.Context) (Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := serialport.Open(name, serialport.Mode{Baud: baud})
		if err != nil {
			return nil, fmt.Errorf("escpos: %w", err)
		}
		return p, nil
	}
}

var _ Conn = (*serialport.Port)(nil)
