// Package serialtest stands in for serial devices in tests: socat joins two
// pseudo-terminals, the code under test opens one end as its serial port, and
// the test reads (and writes) the other end as the device would.
package serialtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue/queuetest"
)

// Pair is a running socat joining two pseudo-terminals.
type Pair struct {
	Near, Far string // the code under test opens Near; the fake device opens Far
	cmd       *exec.Cmd
	links     []string
	done      chan struct{}
	once      sync.Once
}

// MustPair starts socat with two linked pseudo-terminals. When nearLink or
// farLink is not empty, socat also makes that symbolic link to the
// terminal (like /dev/serial/by-id/…), and Near or Far is the link. socat is
// stopped when the test ends. A missing socat fails the test.
func MustPair(tb testing.TB, nearLink, farLink string) *Pair {
	tb.Helper()
	bin := queuetest.MustTool(tb, "socat", "socat")
	end := func(link string) string {
		if link == "" {
			return "pty,raw,echo=0"
		}
		return "pty,raw,echo=0,link=" + link
	}
	cmd := exec.Command(bin, "-d", "-d", end(nearLink), end(farLink))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("socat: %v", err)
	}
	p := &Pair{cmd: cmd, done: make(chan struct{})}
	for _, l := range []string{nearLink, farLink} {
		if l != "" {
			p.links = append(p.links, l)
		}
	}
	tb.Cleanup(p.stop)
	ptyRe := regexp.MustCompile(`PTY is (\S+)`)
	found := make(chan []string, 1)
	go func() {
		var ptys []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := ptyRe.FindStringSubmatch(sc.Text()); m != nil {
				ptys = append(ptys, m[1])
			}
			if bytes.Contains(sc.Bytes(), []byte("starting data transfer loop")) {
				found <- ptys
				break
			}
		}
		for sc.Scan() { // keep draining so socat never blocks on stderr
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case ptys := <-found:
		if len(ptys) != 2 {
			tb.Fatalf("socat reported ptys %q", ptys)
		}
		p.Near, p.Far = ptys[0], ptys[1]
		if nearLink != "" {
			p.Near = nearLink
		}
		if farLink != "" {
			p.Far = farLink
		}
		return p
	case <-time.After(10 * time.Second):
		tb.Fatal("socat did not report its pseudo-terminals")
		return nil
	}
}

// Unplug stops socat, as when a USB adapter is pulled out: both terminals go
// away with their links, and the open ends fail.
func (p *Pair) Unplug(tb testing.TB) {
	tb.Helper()
	p.stop()
}

func (p *Pair) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		for _, l := range p.links {
			_ = os.Remove(l) // socat removes them on SIGTERM; make sure
		}
	})
}

// Device is the far end of a Pair, read in the background.
type Device struct {
	f    *os.File
	mu   sync.Mutex
	buf  []byte // everything received
	seen int    // how much of buf Expect has consumed
	more chan struct{}
	done chan struct{}
}

// MustOpen opens the far end path as the device and reads it until the test
// ends or the Pair is unplugged.
func MustOpen(tb testing.TB, path string) *Device {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	d := &Device{f: f, more: make(chan struct{}, 1), done: make(chan struct{})}
	go d.read()
	tb.Cleanup(func() {
		f.Close()
		<-d.done
	})
	return d
}

func (d *Device) read() {
	defer close(d.done)
	b := make([]byte, 4096)
	for {
		n, err := d.f.Read(b)
		if n > 0 {
			d.mu.Lock()
			d.buf = append(d.buf, b[:n]...)
			d.mu.Unlock()
			select {
			case d.more <- struct{}{}:
			default:
			}
		}
		if err != nil { // closed, or the pair unplugged
			return
		}
	}
}

// Received returns everything the device has received.
func (d *Device) Received() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(d.buf)
}

// Expect waits up to 10 s until the bytes received since the last Expect
// contain want, and consumes them through the end of want. It returns what
// came before want in that span (frames sent in between, e.g. refreshes).
func (d *Device) Expect(tb testing.TB, want []byte) []byte {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		d.mu.Lock()
		i := bytes.Index(d.buf[d.seen:], want)
		if i >= 0 {
			skipped := bytes.Clone(d.buf[d.seen : d.seen+i])
			d.seen += i + len(want)
			d.mu.Unlock()
			return skipped
		}
		pending := bytes.Clone(d.buf[d.seen:])
		d.mu.Unlock()
		select {
		case <-d.more:
		case <-deadline:
			tb.Fatalf("device never received % x\nreceived since the last match: % x", want, pending)
			return nil
		}
	}
}

// Write sends b from the device (an answer, a key press).
func (d *Device) Write(b []byte) (int, error) { return d.f.Write(b) }
