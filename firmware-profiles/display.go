package profiles

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
)

//go:embed displays/*.json
var builtinDisplays embed.FS

// Display text encodings (Display.Charset).
const (
	CharsetASCII  = "ascii"  // 7-bit ASCII; Cyrillic only through Fold
	CharsetCP1251 = "cp1251" // Windows-1251
	// CharsetCP866 (DOS Cyrillic) is declared with the printer profiles.
	CharsetGlyphs = "glyphs" // each character is looked up in Display.Glyphs (7-segment patterns, digit codes)
)

// Display address formats (Address.Format): how the address is written into
// a frame.
const (
	AddressByte = "byte" // one binary byte, 0..255
	AddressHex2 = "hex2" // two ASCII hex digits, upper case: 0x1f → "1F"
	AddressDec2 = "dec2" // two ASCII decimal digits: 7 → "07"
	AddressDec3 = "dec3" // three ASCII decimal digits: 7 → "007"
)

// Checksum kinds (Checksum.Kind), computed over the bytes between "(" and ")"
// of a command template.
const (
	ChecksumNone        = "none"         // no checksum
	ChecksumXOR         = "xor"          // 8-bit XOR of the bytes
	ChecksumSum8        = "sum8"         // sum of the bytes mod 256
	ChecksumSum16       = "sum16"        // sum of the bytes mod 65536
	ChecksumCRC16Modbus = "crc16-modbus" // CRC-16/MODBUS: poly 0xA001 reflected, init 0xFFFF
)

// Checksum formats (Checksum.Format): how the checksum is written.
const (
	FormatByte = "byte" // one binary byte (8-bit kinds)
	FormatLE16 = "le16" // two binary bytes, low first (the Modbus order)
	FormatBE16 = "be16" // two binary bytes, high first
	FormatHex2 = "hex2" // two ASCII hex digits, upper case (8-bit kinds)
	FormatHex4 = "hex4" // four ASCII hex digits, upper case (16-bit kinds)
)

// Text alignments (Display.Align) inside a field of Display.Width characters.
const (
	AlignLeft   = "left"
	AlignRight  = "right"
	AlignCenter = "center"
)

// Confidence levels (Display.Confidence): how sure we are that the profile
// matches real devices.
const (
	ConfidenceHigh   = "high"   // a published vendor protocol document, cross-checked by independent implementations
	ConfidenceMedium = "medium" // a working third-party driver or tool, no vendor document seen
	ConfidenceLow    = "low"    // inferred; check against a device before relying on it
)

// Display is the profile of one family of LED window displays (the number
// over an operator's window) driven over a serial line, usually RS-485 with
// several displays on one pair of wires, each at its own address. It says how
// a frame is built: the command templates for show, blink and clear, how the
// address and the text are written, and the checksum. A display whose
// protocol fits these parts needs a JSON file and no code.
type Display struct {
	ID         string `json:"id"`         // stable key used in configuration, e.g. "alpha-betabrite"
	Name       string `json:"name"`       // human-readable device family and protocol
	Source     string `json:"source"`     // where the format is described
	Confidence string `json:"confidence"` // ConfidenceHigh, ConfidenceMedium or ConfidenceLow

	Baud     int    `json:"baud"`      // default line speed when the configuration gives none
	DataBits int    `json:"data_bits"` // 7 or 8
	Parity   string `json:"parity"`    // "none", "even" or "odd"
	StopBits int    `json:"stop_bits"` // 1 or 2
	GapMS    int    `json:"gap_ms"`    // pause after each frame before the next one on the same line, 0..10000 ms

	Address Address `json:"address"`

	Charset string            `json:"charset"`          // CharsetASCII, CharsetCP1251, CharsetCP866 or CharsetGlyphs
	Glyphs  map[string]Bytes  `json:"glyphs,omitempty"` // CharsetGlyphs: one character → its bytes
	Fold    map[string]string `json:"fold,omitempty"`   // one character → replacement text, applied before encoding (Cyrillic on Latin-only displays)
	Missing string            `json:"missing"`          // one character written for any the charset lacks
	Width   int               `json:"width"`            // characters in the text field; 0 = as long as the text
	Align   string            `json:"align,omitempty"`  // AlignLeft, AlignRight or AlignCenter when Width > 0

	Checksum Checksum `json:"checksum"`
	Commands Commands `json:"commands"`
}

// Address says how a display's address is written ({addr} in a template)
// and which addresses are valid.
type Address struct {
	Format string `json:"format"` // AddressByte, AddressHex2, AddressDec2 or AddressDec3
	Min    int    `json:"min"`
	Max    int    `json:"max"`
}

// Checksum is the check value written at {check}, computed over the bytes
// between "(" and ")" of the template.
type Checksum struct {
	Kind   string `json:"kind"`             // ChecksumNone, ChecksumXOR, ChecksumSum8, ChecksumSum16 or ChecksumCRC16Modbus
	Format string `json:"format,omitempty"` // FormatByte, FormatLE16, FormatBE16, FormatHex2 or FormatHex4
}

// Bits returns 8 or 16: the width of the checksum kind (0 for none).
func (c Checksum) Bits() int {
	switch c.Kind {
	case ChecksumXOR, ChecksumSum8:
		return 8
	case ChecksumSum16, ChecksumCRC16Modbus:
		return 16
	}
	return 0
}

// Commands are the frame templates of the three things a window display does.
// A device that cannot blink repeats the show template as blink.
type Commands struct {
	Show  Frame `json:"show"`  // show {text} steadily
	Blink Frame `json:"blink"` // show {text} blinking (a ticket just called)
	Clear Frame `json:"clear"` // blank the display; {text} here is a field of spaces
}

// Frame is a command template, written in JSON as space-separated tokens:
//
//	01 5a        bytes as hex pairs
//	'AA'         ASCII characters, written as they are (no ' inside)
//	{addr}       the display's address, in Address.Format
//	{text}       the text, encoded and aligned
//	( … )        the bytes the checksum and {len} cover (at most one pair)
//	{check}      the checksum of the ( … ) bytes, after the ")"
//	{len}        one byte: the number of bytes in ( … )
//
// For example, "00 00 00 00 00 01 'Z' {addr} ( 02 'AA' 1b 20 'b' {text} 03 ) {check} 04".
type Frame []Token

// TokenKind is the kind of one template token.
type TokenKind int

// The token kinds.
const (
	TokenBytes TokenKind = iota // literal bytes (Token.Bytes)
	TokenAddr                   // {addr}
	TokenText                   // {text}
	TokenLen                    // {len}
	TokenCheck                  // {check}
	TokenBegin                  // (
	TokenEnd                    // )
)

var placeholders = map[string]TokenKind{"{addr}": TokenAddr, "{text}": TokenText, "{len}": TokenLen, "{check}": TokenCheck}

// Token is one part of a Frame.
type Token struct {
	Kind  TokenKind
	Bytes []byte // for TokenBytes
	quote bool   // written as 'text' in the template
}

// ParseFrame parses a command template (see Frame).
func ParseFrame(s string) (Frame, error) {
	var f Frame
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(':
			f = append(f, Token{Kind: TokenBegin})
			i++
		case c == ')':
			f = append(f, Token{Kind: TokenEnd})
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("template %q: unclosed '", s)
			}
			lit := s[i+1 : i+1+j]
			for _, r := range lit {
				if r < 0x20 || r > 0x7e {
					return nil, fmt.Errorf("template %q: '%s' must be printable ASCII; write other bytes in hex", s, lit)
				}
			}
			if lit == "" {
				return nil, fmt.Errorf("template %q: empty ''", s)
			}
			f = append(f, Token{Kind: TokenBytes, Bytes: []byte(lit), quote: true})
			i += j + 2
		case c == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("template %q: unclosed {", s)
			}
			name := s[i : i+j+1]
			k, ok := placeholders[name]
			if !ok {
				return nil, fmt.Errorf("template %q: unknown %s (want {addr}, {text}, {len} or {check})", s, name)
			}
			f = append(f, Token{Kind: k})
			i += j + 1
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n()'{", s[j]) < 0 {
				j++
			}
			raw, err := hex.DecodeString(s[i:j])
			if err != nil {
				return nil, fmt.Errorf("template %q: %q is not hex bytes: %w", s, s[i:j], err)
			}
			f = append(f, Token{Kind: TokenBytes, Bytes: raw})
			i = j
		}
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("template %q: %w", s, err)
	}
	return f, nil
}

// check validates the structure: one balanced range at most, {check} after
// it, {check} and {len} only with a range.
func (f Frame) check() error {
	if len(f) == 0 {
		return fmt.Errorf("empty")
	}
	begin, end, check, length := -1, -1, -1, 0
	for i, t := range f {
		switch t.Kind {
		case TokenBegin:
			if begin >= 0 {
				return fmt.Errorf("more than one (")
			}
			begin = i
		case TokenEnd:
			if begin < 0 || end >= 0 {
				return fmt.Errorf(") without (")
			}
			end = i
		case TokenCheck:
			if check >= 0 {
				return fmt.Errorf("more than one {check}")
			}
			check = i
		case TokenLen:
			length++
		}
	}
	switch {
	case begin >= 0 && end < 0:
		return fmt.Errorf("( without )")
	case begin >= 0 && check < 0 && length == 0:
		return fmt.Errorf("( … ) covers nothing: add {check} or {len}")
	case (check >= 0 || length > 0) && begin < 0:
		return fmt.Errorf("{check} and {len} need a ( … ) range")
	case check >= 0 && check < end:
		return fmt.Errorf("{check} must come after )")
	}
	return nil
}

// Has reports whether the template contains a token of kind k.
func (f Frame) Has(k TokenKind) bool {
	return slices.ContainsFunc(f, func(t Token) bool { return t.Kind == k })
}

// String writes the template back in its JSON form.
func (f Frame) String() string {
	parts := make([]string, 0, len(f))
	for _, t := range f {
		switch t.Kind {
		case TokenBytes:
			if t.quote {
				parts = append(parts, "'"+string(t.Bytes)+"'")
				continue
			}
			for _, c := range t.Bytes {
				parts = append(parts, hex.EncodeToString([]byte{c}))
			}
		case TokenBegin:
			parts = append(parts, "(")
		case TokenEnd:
			parts = append(parts, ")")
		default:
			for name, k := range placeholders {
				if k == t.Kind {
					parts = append(parts, name)
				}
			}
		}
	}
	return strings.Join(parts, " ")
}

// UnmarshalJSON parses a template string.
func (f *Frame) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("template: want a string: %w", err)
	}
	p, err := ParseFrame(s)
	if err != nil {
		return err
	}
	*f = p
	return nil
}

// MarshalJSON writes the template string.
func (f Frame) MarshalJSON() ([]byte, error) { return json.Marshal(f.String()) }

// Displays returns the built-in display profiles, sorted by ID.
func Displays() ([]Display, error) { return builtinAll(builtinDisplays, "displays", LoadDisplays) }

// DisplayByID returns the built-in display profile with the given ID.
func DisplayByID(id string) (Display, error) {
	all, err := Displays()
	if err != nil {
		return Display{}, err
	}
	return FindDisplay(all, id)
}

// FindDisplay returns the profile with the given ID from list.
func FindDisplay(list []Display, id string) (Display, error) {
	return findByID(list, "display", id, func(d Display) string { return d.ID })
}

// LoadDisplays reads and validates every *.json file at the root of fsys as a
// Display, so that a site can add a profile directory (os.DirFS) without a
// rebuild. Unknown JSON fields are errors. IDs must be unique and match the
// file names. The result is sorted by ID.
func LoadDisplays(fsys fs.FS) ([]Display, error) {
	return loadAll(fsys, "display", ParseDisplay, func(d Display) string { return d.ID })
}

// ParseDisplay decodes one display profile from JSON and validates it.
func ParseDisplay(data []byte) (Display, error) { return parseStrict[Display](data, "display") }

// addressLimit is the largest address each format can write.
var addressLimit = map[string]int{AddressByte: 255, AddressHex2: 255, AddressDec2: 99, AddressDec3: 999}

// Validate reports the first field of d that is missing, out of range or
// inconsistent with another.
func (d Display) Validate() error {
	bad := func(field, why string) error {
		return fmt.Errorf("display %q: %s: %s", d.ID, field, why)
	}
	limit, okAddr := addressLimit[d.Address.Format]
	switch {
	case d.ID == "":
		return bad("id", "required")
	case d.Name == "":
		return bad("name", "required")
	case strings.TrimSpace(d.Source) == "":
		return bad("source", "required: say where the format is described")
	case !slices.Contains([]string{ConfidenceHigh, ConfidenceMedium, ConfidenceLow}, d.Confidence):
		return bad("confidence", "must be high, medium or low")
	case d.Baud <= 0:
		return bad("baud", "must be positive")
	case d.DataBits != 7 && d.DataBits != 8:
		return bad("data_bits", "must be 7 or 8")
	case !slices.Contains([]string{"none", "even", "odd"}, d.Parity):
		return bad("parity", "must be none, even or odd")
	case d.StopBits != 1 && d.StopBits != 2:
		return bad("stop_bits", "must be 1 or 2")
	case d.GapMS < 0 || d.GapMS > 10000:
		return bad("gap_ms", "must be 0..10000")
	case !okAddr:
		return bad("address.format", "must be byte, hex2, dec2 or dec3")
	case d.Address.Min < 0 || d.Address.Max > limit || d.Address.Min > d.Address.Max:
		return bad("address", fmt.Sprintf("need 0 <= min <= max <= %d for %s", limit, d.Address.Format))
	case !slices.Contains([]string{CharsetASCII, CharsetCP1251, CharsetCP866, CharsetGlyphs}, d.Charset):
		return bad("charset", "must be ascii, cp1251, cp866 or glyphs")
	case d.Charset == CharsetGlyphs && len(d.Glyphs) == 0:
		return bad("glyphs", "required with charset glyphs")
	case d.Charset != CharsetGlyphs && len(d.Glyphs) > 0:
		return bad("glyphs", "only with charset glyphs")
	case utf8.RuneCountInString(d.Missing) != 1:
		return bad("missing", "must be one character")
	case d.Width < 0 || d.Width > 255:
		return bad("width", "must be 0..255")
	case d.Width > 0 && !slices.Contains([]string{AlignLeft, AlignRight, AlignCenter}, d.Align):
		return bad("align", "must be left, right or center when width is set")
	}
	for k, v := range d.Glyphs {
		if utf8.RuneCountInString(k) != 1 || len(v) == 0 {
			return bad("glyphs", fmt.Sprintf("%q: want one character → at least one byte", k))
		}
	}
	for k := range d.Fold {
		if utf8.RuneCountInString(k) != 1 {
			return bad("fold", fmt.Sprintf("%q: keys are single characters", k))
		}
	}
	if d.Charset == CharsetGlyphs {
		if _, ok := d.Glyphs[d.Missing]; !ok {
			return bad("missing", "must be one of the glyphs")
		}
		if _, ok := d.Glyphs[" "]; d.Width > 0 && !ok {
			return bad("glyphs", `need " " to pad the text to width`)
		}
	} else if r, _ := utf8.DecodeRuneInString(d.Missing); r < 0x20 || r > 0x7e {
		return bad("missing", "must be printable ASCII")
	}
	switch bits := d.Checksum.Bits(); {
	case d.Checksum.Kind != ChecksumNone && bits == 0:
		return bad("checksum.kind", "must be none, xor, sum8, sum16 or crc16-modbus")
	case bits == 8 && d.Checksum.Format != FormatByte && d.Checksum.Format != FormatHex2:
		return bad("checksum.format", "must be byte or hex2 for an 8-bit checksum")
	case bits == 16 && !slices.Contains([]string{FormatLE16, FormatBE16, FormatHex4}, d.Checksum.Format):
		return bad("checksum.format", "must be le16, be16 or hex4 for a 16-bit checksum")
	case bits == 0 && d.Checksum.Format != "":
		return bad("checksum.format", "must be empty without a checksum")
	}
	if d.DataBits == 7 {
		if err := d.sevenBit(); err != nil {
			return bad("data_bits", "7 bits carry bytes below 0x80 only: "+err.Error())
		}
	}
	for _, c := range d.Commands.all() {
		field := "commands." + c.name
		switch {
		case len(c.f) == 0:
			return bad(field, "required")
		case c.name != "clear" && !c.f.Has(TokenText):
			return bad(field, "must contain {text}")
		case d.Checksum.Kind == ChecksumNone && c.f.Has(TokenCheck):
			return bad(field, "has {check} but checksum.kind is none")
		case d.Checksum.Kind != ChecksumNone && !c.f.Has(TokenCheck):
			return bad(field, "needs {check} for checksum "+d.Checksum.Kind)
		}
	}
	return nil
}

type namedFrame struct {
	name string
	f    Frame
}

func (c Commands) all() []namedFrame {
	return []namedFrame{{"show", c.Show}, {"blink", c.Blink}, {"clear", c.Clear}}
}

// sevenBit reports a part of d that can produce a byte of 0x80 or more.
func (d Display) sevenBit() error {
	switch {
	case d.Charset != CharsetASCII && d.Charset != CharsetGlyphs:
		return fmt.Errorf("charset %s", d.Charset)
	case d.Address.Format == AddressByte && d.Address.Max > 0x7f:
		return fmt.Errorf("address byte above 0x7f")
	case d.Checksum.Format == FormatByte || d.Checksum.Format == FormatLE16 || d.Checksum.Format == FormatBE16:
		return fmt.Errorf("binary checksum")
	}
	for k, v := range d.Glyphs {
		if slices.ContainsFunc(v, func(b byte) bool { return b > 0x7f }) {
			return fmt.Errorf("glyph %q", k)
		}
	}
	for _, c := range d.Commands.all() {
		for _, t := range c.f {
			if slices.ContainsFunc(t.Bytes, func(b byte) bool { return b > 0x7f }) {
				return fmt.Errorf("commands.%s bytes", c.name)
			}
		}
	}
	return nil
}
