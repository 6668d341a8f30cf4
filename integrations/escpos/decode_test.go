package escpos_test

import (
	"bytes"
	"fmt"
	"github.com/talon-queue/talon/queue/queuetest"
	"image"
	"image/color"
	"os/exec"
	"testing"
)

// This file is the test-side ESC/POS decoder: it walks a byte stream the way
// a printer would, turns CP866 text back into UTF-8 with a table taken from
// iconv (independent of the encoder's own table), records every command,
// keeps native QR payloads and CODE128 commands, and turns each GS v 0 block
// into an image. Any byte it does not understand fails the test.

// decoded is what a stream printed.
type decoded struct {
	Ops      []string      // every command in order, e.g. "ESC t 17", "GS ! 33", "TEXT Ваш номер", "LF"
	Lines    []string      // printed text lines, UTF-8
	QR       []string      // native QR payloads printed (GS ( k fn 181 after fn 180)
	Rasters  []*image.Gray // GS v 0 images, one pixel per dot
	Barcodes [][]byte      // complete GS k commands
	Status   []byte        // n of every DLE EOT n
}

// MustCP866 returns the CP866 → Unicode table according to iconv(1).
func MustCP866(tb testing.TB) [256]rune {
	tb.Helper()
	bin := queuetest.MustTool(tb, "iconv", "libc-bin")
	var in []byte
	for b := 0x80; b <= 0xff; b++ {
		in = append(in, byte(b))
	}
	cmd := exec.Command(bin, "-f", "CP866", "-t", "UTF-8")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("iconv: %v", err)
	}
	high := []rune(string(out))
	if len(high) != 128 {
		tb.Fatalf("iconv gave %d runes for 128 bytes", len(high))
	}
	var t [256]rune
	for i := range 0x80 {
		t[i] = rune(i)
	}
	copy(t[0x80:], high)
	return t
}

// MustDecode decodes an ESC/POS stream.
func MustDecode(tb testing.TB, cp [256]rune, b []byte) decoded {
	tb.Helper()
	var d decoded
	var line, opText []rune // the printer's line buffer; text since the last command
	var stored string
	i := 0
	need := func(n int) []byte {
		if i+n > len(b) {
			tb.Fatalf("decode: offset %d: want %d more bytes, have %d", i, n, len(b)-i)
		}
		s := b[i : i+n]
		i += n
		return s
	}
	flushText := func() {
		if len(opText) > 0 {
			d.Ops = append(d.Ops, "TEXT "+string(opText))
			opText = nil
		}
	}
	for i < len(b) {
		c := b[i]
		switch {
		case c == 0x0a:
			i++
			flushText()
			d.Ops = append(d.Ops, "LF")
			d.Lines = append(d.Lines, string(line))
			line = nil
		case c >= 0x20 && c != 0x7f:
			i++
			line = append(line, cp[c])
			opText = append(opText, cp[c])
		case c == 0x1b:
			flushText()
			i++
			switch op := need(1)[0]; op {
			case '@':
				d.Ops = append(d.Ops, "ESC @")
			case 't', 'a', 'E', 'd':
				d.Ops = append(d.Ops, fmt.Sprintf("ESC %c %d", op, need(1)[0]))
			default:
				tb.Fatalf("decode: offset %d: unknown ESC %#x", i-1, op)
			}
		case c == 0x10:
			flushText()
			i++
			if need(1)[0] != 0x04 {
				tb.Fatalf("decode: offset %d: unknown DLE command", i-1)
			}
			n := need(1)[0]
			d.Status = append(d.Status, n)
			d.Ops = append(d.Ops, fmt.Sprintf("DLE EOT %d", n))
		case c == 0x1d:
			flushText()
			start := i
			i++
			switch op := need(1)[0]; op {
			case '!':
				d.Ops = append(d.Ops, fmt.Sprintf("GS ! %02x", need(1)[0]))
			case 'h', 'w', 'H', 'f':
				d.Ops = append(d.Ops, fmt.Sprintf("GS %c %d", op, need(1)[0]))
			case 'V':
				m := need(1)[0]
				switch m {
				case 0, 1, 48, 49:
					d.Ops = append(d.Ops, fmt.Sprintf("GS V %d", m))
				case 65, 66:
					d.Ops = append(d.Ops, fmt.Sprintf("GS V %d %d", m, need(1)[0]))
				default:
					tb.Fatalf("decode: offset %d: GS V %d", start, m)
				}
			case 'k':
				m := need(1)[0]
				if m != 73 {
					tb.Fatalf("decode: offset %d: GS k %d (only 73, CODE128)", start, m)
				}
				n := int(need(1)[0])
				need(n)
				d.Barcodes = append(d.Barcodes, append([]byte(nil), b[start:i]...))
				d.Ops = append(d.Ops, fmt.Sprintf("GS k 73 %q", b[start+4:i]))
			case '(':
				if need(1)[0] != 'k' {
					tb.Fatalf("decode: offset %d: GS ( other than k", start)
				}
				p := need(2)
				body := need(int(p[0]) | int(p[1])<<8)
				if len(body) < 2 || body[0] != '1' {
					tb.Fatalf("decode: offset %d: GS ( k not for QR: % x", start, body)
				}
				switch body[1] {
				case 'A', 'C', 'E':
					d.Ops = append(d.Ops, fmt.Sprintf("QR %c % x", body[1], body[2:]))
				case 'P':
					stored = string(body[3:])
					d.Ops = append(d.Ops, "QR store "+stored)
				case 'Q':
					d.QR = append(d.QR, stored)
					d.Ops = append(d.Ops, "QR print")
				default:
					tb.Fatalf("decode: offset %d: QR fn %c", start, body[1])
				}
			case 'v':
				if need(1)[0] != '0' {
					tb.Fatalf("decode: offset %d: GS v other than 0", start)
				}
				h := need(5)
				wBytes, rows := int(h[1])|int(h[2])<<8, int(h[3])|int(h[4])<<8
				data := need(wBytes * rows)
				img := image.NewGray(image.Rect(0, 0, wBytes*8, rows))
				for y := range rows {
					for x := range wBytes * 8 {
						black := data[y*wBytes+x/8]&(0x80>>(x%8)) != 0
						if black {
							img.SetGray(x, y, color.Gray{})
						} else {
							img.SetGray(x, y, color.Gray{Y: 0xff})
						}
					}
				}
				d.Rasters = append(d.Rasters, img)
				d.Ops = append(d.Ops, fmt.Sprintf("GS v 0 %dx%d", wBytes*8, rows))
			default:
				tb.Fatalf("decode: offset %d: unknown GS %#x", start, op)
			}
		default:
			tb.Fatalf("decode: offset %d: unexpected control byte %#x", i, c)
		}
	}
	if len(line) > 0 {
		flushText()
		d.Lines = append(d.Lines, string(line))
	}
	return d
}
