package leddisplay

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	profiles "github.com/talon-queue/talon/firmware-profiles"
)

// Effect is what a display does with a text.
type Effect string

// The effects, one command template each in a profile.
const (
	Show  Effect = "show"  // the text, steady
	Blink Effect = "blink" // the text, blinking: a ticket just called
	Clear Effect = "clear" // nothing
)

// ErrTooLong is returned when a text does not fit the display's width.
var ErrTooLong = errors.New("leddisplay: text longer than the display")

// Encode returns the frame that makes the display at address do effect with
// text, built from the profile's command template. Clear ignores text.
// Characters the display cannot show are replaced by the profile's Missing
// character; a text wider than the profile's Width is ErrTooLong.
func Encode(p profiles.Display, address int, e Effect, text string) ([]byte, error) {
	if address < p.Address.Min || address > p.Address.Max {
		return nil, fmt.Errorf("leddisplay: %s: address %d out of range %d..%d", p.ID, address, p.Address.Min, p.Address.Max)
	}
	var tmpl profiles.Frame
	switch e {
	case Show:
		tmpl = p.Commands.Show
	case Blink:
		tmpl = p.Commands.Blink
	case Clear:
		tmpl, text = p.Commands.Clear, ""
	default:
		return nil, fmt.Errorf("leddisplay: unknown effect %q", e)
	}
	field, err := encodeText(p, text)
	if err != nil {
		return nil, err
	}
	var out []byte
	begin, end := -1, -1
	var lens []int // positions of {len} bytes, filled in at the end
	for _, t := range tmpl {
		switch t.Kind {
		case profiles.TokenBytes:
			out = append(out, t.Bytes...)
		case profiles.TokenAddr:
			out = appendAddress(out, p.Address.Format, address)
		case profiles.TokenText:
			out = append(out, field...)
		case profiles.TokenBegin:
			begin = len(out)
		case profiles.TokenEnd:
			end = len(out)
			if end-begin > 255 && tmpl.Has(profiles.TokenLen) {
				return nil, fmt.Errorf("leddisplay: %s: {len} %d does not fit a byte", p.ID, end-begin)
			}
			for _, i := range lens { // {len} before or inside the range
				out[i] = byte(end - begin)
			}
			lens = nil
		case profiles.TokenLen:
			if end >= 0 { // after the range: its length is known
				out = append(out, byte(end-begin))
				continue
			}
			lens = append(lens, len(out))
			out = append(out, 0)
		case profiles.TokenCheck:
			out = appendChecksum(out, p.Checksum, out[begin:end])
		}
	}
	return out, nil
}

// encodeText folds, aligns and encodes text for the profile.
func encodeText(p profiles.Display, text string) ([]byte, error) {
	var b strings.Builder
	for _, r := range text {
		if f, ok := p.Fold[string(r)]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if n := utf8.RuneCountInString(s); p.Width > 0 {
		if n > p.Width {
			return nil, fmt.Errorf("%w: %q is %d characters, %s shows %d", ErrTooLong, text, n, p.ID, p.Width)
		}
		pad := p.Width - n
		switch p.Align {
		case profiles.AlignRight:
			s = strings.Repeat(" ", pad) + s
		case profiles.AlignCenter:
			s = strings.Repeat(" ", pad/2) + s + strings.Repeat(" ", pad-pad/2)
		default:
			s += strings.Repeat(" ", pad)
		}
	}
	missing, _ := utf8.DecodeRuneInString(p.Missing)
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = appendRune(out, p, r, missing)
	}
	return out, nil
}

// appendRune appends the bytes of one character, or of the missing one.
func appendRune(out []byte, p profiles.Display, r, missing rune) []byte {
	if p.Charset == profiles.CharsetGlyphs {
		for _, c := range []rune{r, unicode.ToUpper(r), missing} {
			if g, ok := p.Glyphs[string(c)]; ok {
				return append(out, g...)
			}
		}
		return out // Validate makes sure the missing glyph exists
	}
	if r < 0x20 || r == 0x7f { // control characters would break the framing
		r = missing
	}
	if r < 0x7f {
		return append(out, byte(r))
	}
	var cm *charmap.Charmap
	switch p.Charset {
	case profiles.CharsetCP1251:
		cm = charmap.Windows1251
	case profiles.CharsetCP866:
		cm = charmap.CodePage866
	}
	if cm != nil {
		if c, ok := cm.EncodeRune(r); ok {
			return append(out, c)
		}
	}
	return append(out, byte(missing))
}

const hexDigits = "0123456789ABCDEF"

func appendAddress(out []byte, format string, a int) []byte {
	switch format {
	case profiles.AddressHex2:
		return append(out, hexDigits[a>>4&0xf], hexDigits[a&0xf])
	case profiles.AddressDec2:
		return fmt.Appendf(out, "%02d", a)
	case profiles.AddressDec3:
		return fmt.Appendf(out, "%03d", a)
	}
	return append(out, byte(a))
}

// Checksum returns the check value of data for kind (a profiles.Checksum
// kind): 8-bit kinds in the low byte.
func Checksum(kind string, data []byte) uint16 {
	switch kind {
	case profiles.ChecksumXOR:
		var x byte
		for _, b := range data {
			x ^= b
		}
		return uint16(x)
	case profiles.ChecksumSum8:
		var s byte
		for _, b := range data {
			s += b
		}
		return uint16(s)
	case profiles.ChecksumSum16:
		var s uint16
		for _, b := range data {
			s += uint16(b)
		}
		return s
	case profiles.ChecksumCRC16Modbus:
		crc := uint16(0xffff)
		for _, b := range data {
			crc ^= uint16(b)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0xa001
				} else {
					crc >>= 1
				}
			}
		}
		return crc
	}
	return 0
}

func appendChecksum(out []byte, c profiles.Checksum, data []byte) []byte {
	v := Checksum(c.Kind, data)
	switch c.Format {
	case profiles.FormatByte:
		return append(out, byte(v))
	case profiles.FormatHex2:
		return append(out, hexDigits[v>>4&0xf], hexDigits[v&0xf])
	case profiles.FormatLE16:
		return append(out, byte(v), byte(v>>8))
	case profiles.FormatBE16:
		return append(out, byte(v>>8), byte(v))
	case profiles.FormatHex4:
		return append(out, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
	}
	return out
}
