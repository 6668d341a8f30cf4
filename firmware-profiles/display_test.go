package profiles_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	profiles "github.com/talon-queue/talon/firmware-profiles"
)

func MustDisplays(tb testing.TB) []profiles.Display {
	tb.Helper()
	all, err := profiles.Displays()
	if err != nil {
		tb.Fatalf("Displays() = %v", err)
	}
	return all
}

func TestBuiltinDisplays(t *testing.T) {
	var ids []string
	for _, d := range MustDisplays(t) {
		ids = append(ids, d.ID)
		if len(d.Source) < 200 {
			t.Errorf("%s: source %q does not say where the format is described and how sure we are", d.ID, d.Source)
		}
	}
	want := "alpha-betabrite led-485-modbus qsystem-rs485"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("ids = %q, want %q", got, want)
	}
	a, err := profiles.DisplayByID("alpha-betabrite")
	if err != nil {
		t.Fatal(err)
	}
	if a.Checksum.Kind != profiles.ChecksumSum16 || a.Address.Format != profiles.AddressHex2 || a.Fold["А"] != "A" {
		t.Errorf("alpha = %+v", a)
	}
	if got, want := a.Commands.Blink.String(), "00 00 00 00 00 01 'Z' {addr} ( 02 'AA' 1b 20 'c' {text} 03 ) {check} 04"; got != want {
		t.Errorf("alpha blink = %q, want %q", got, want)
	}
	m, err := profiles.DisplayByID("led-485-modbus")
	if err != nil {
		t.Fatal(err)
	}
	if m.Charset != profiles.CharsetGlyphs || m.Width != 4 || string(m.Glyphs["0"]) != "\x3f" {
		t.Errorf("led-485 = %+v", m)
	}
	if _, err := profiles.DisplayByID("no-such"); err == nil {
		t.Error("DisplayByID(no-such) = nil error")
	}
}

func TestParseFrame(t *testing.T) {
	f, err := profiles.ParseFrame("ff68 {len}{len} 68 ( {addr} 02 'A B' {text} ) {check} 16")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []profiles.TokenKind
	for _, tok := range f {
		kinds = append(kinds, tok.Kind)
	}
	want := []profiles.TokenKind{profiles.TokenBytes, profiles.TokenLen, profiles.TokenLen, profiles.TokenBytes,
		profiles.TokenBegin, profiles.TokenAddr, profiles.TokenBytes, profiles.TokenBytes, profiles.TokenText,
		profiles.TokenEnd, profiles.TokenCheck, profiles.TokenBytes}
	if len(kinds) != len(want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
	}
	if string(f[0].Bytes) != "\xff\x68" || string(f[6].Bytes) != "\x02" || string(f[7].Bytes) != "A B" {
		t.Errorf("bytes = % x, % x, %q", f[0].Bytes, f[6].Bytes, f[7].Bytes)
	}
	if got, want := f.String(), "ff 68 {len} {len} 68 ( {addr} 02 'A B' {text} ) {check} 16"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	for _, bad := range []string{
		"", "01 {adr} 07", "01 {addr 07", "01 'AB 07", "0g", "012", "( 01 {text} ) ( 02 ) {check}",
		"01 ) {check}", "( 01 {text} {check}", "01 {text} {check}", "( 01 {check} {text} )",
		"( 01 {text} )", "01 'Ж'",
	} {
		if _, err := profiles.ParseFrame(bad); err == nil {
			t.Errorf("ParseFrame(%q) = nil error", bad)
		}
	}
}

// ff68 is the caller-keypad terminal frame of research/go-stack.md §5: a
// different family, added as data only.
const ff68 = `{
  "id": "ff68-terminal",
  "name": "FF 68 caller terminal, 3-digit display",
  "source": "JackQChen/QueueSystem CallSystem/frmMain.cs",
  "confidence": "low",
  "baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "gap_ms": 0,
  "address": {"format": "byte", "min": 1, "max": 254},
  "charset": "glyphs",
  "glyphs": {" ": "0a", "0": "00", "1": "01", "2": "02", "3": "03", "4": "04", "5": "05", "6": "06", "7": "07", "8": "08", "9": "09"},
  "missing": " ",
  "width": 3, "align": "right",
  "checksum": {"kind": "sum8", "format": "byte"},
  "commands": {
    "show":  "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16",
    "blink": "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16",
    "clear": "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16"
  }
}`

// A new display family is a JSON file: no code change.
func TestLoadDisplaysFromDirectory(t *testing.T) {
	got, err := profiles.LoadDisplays(fstest.MapFS{"ff68-terminal.json": {Data: []byte(ff68)}, "notes.txt": {Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "ff68-terminal" || got[0].Checksum.Bits() != 8 || string(got[0].Glyphs[" "]) != "\x0a" {
		t.Fatalf("LoadDisplays = %+v", got)
	}
	b, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	back, err := profiles.ParseDisplay(b)
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, b)
	}
	if back.Commands.Show.String() != got[0].Commands.Show.String() {
		t.Errorf("round trip show = %q", back.Commands.Show)
	}
}

func TestLoadDisplaysRejects(t *testing.T) {
	r := func(old, new string) string {
		if !strings.Contains(ff68, old) {
			t.Fatalf("test data has no %q", old)
		}
		return strings.Replace(ff68, old, new, 1)
	}
	for name, tc := range map[string]struct{ file, data string }{
		"unknown field":   {"ff68-terminal.json", r(`"gap_ms"`, `"gapms": 1, "gap_ms"`)},
		"id not filename": {"other.json", ff68},
		"no source":       {"ff68-terminal.json", r("JackQChen/QueueSystem CallSystem/frmMain.cs", " ")},
		"confidence":      {"ff68-terminal.json", r(`"low"`, `"sure"`)},
		"parity":          {"ff68-terminal.json", r(`"none", "stop_bits"`, `"mark", "stop_bits"`)},
		"address format":  {"ff68-terminal.json", r(`"format": "byte", "min"`, `"format": "bcd", "min"`)},
		"address range":   {"ff68-terminal.json", r(`"max": 254`, `"max": 256`)},
		"missing glyph":   {"ff68-terminal.json", r(`"missing": " "`, `"missing": "-"`)},
		"no pad glyph":    {"ff68-terminal.json", strings.Replace(r(`" ": "0a", `, ``), `"missing": " "`, `"missing": "0"`, 1)},
		"align":           {"ff68-terminal.json", r(`"align": "right"`, `"align": "middle"`)},
		"checksum kind":   {"ff68-terminal.json", r(`"sum8"`, `"crc32"`)},
		"checksum format": {"ff68-terminal.json", r(`"format": "byte"}`, `"format": "le16"}`)},
		"no check":        {"ff68-terminal.json", r(`"kind": "sum8", "format": "byte"`, `"kind": "none"`)},
		"show without txt": {"ff68-terminal.json", r(`0a 0a 0a {text} ) {check} 16",
    "blink"`, `0a 0a 0a ) {check} 16",
    "blink"`)},
		"bad template":  {"ff68-terminal.json", r(`"clear": "ff 68`, `"clear": "fg 68`)},
		"7 bits binary": {"ff68-terminal.json", r(`"data_bits": 8`, `"data_bits": 7`)},
		"charset":       {"ff68-terminal.json", r(`"glyphs",`, `"koi8r",`)},
	} {
		_, err := profiles.LoadDisplays(fstest.MapFS{tc.file: {Data: []byte(tc.data)}})
		if err == nil {
			t.Errorf("%s: LoadDisplays = nil error", name)
		}
	}
}
