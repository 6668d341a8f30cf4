package leddisplay_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/leddisplay"
)

func MustProfile(tb testing.TB, id string) profiles.Display {
	tb.Helper()
	p, err := profiles.DisplayByID(id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func MustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func MustEncode(tb testing.TB, p profiles.Display, addr int, e leddisplay.Effect, text string) []byte {
	tb.Helper()
	b, err := leddisplay.Encode(p, addr, e, text)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// frames holds the exact frames of the built-in profiles, worked out by hand
// from their sources (checksums computed independently of the encoder).
var frames = []struct {
	profile string
	addr    int
	effect  leddisplay.Effect
	text    string
	want    string
}{
	// SOH, address byte, CP1251 text (А = c0), BEL.
	{"qsystem-rs485", 1, leddisplay.Show, "А042", "01 01 c0 30 34 32 07"},
	{"qsystem-rs485", 1, leddisplay.Blink, "А042", "01 01 c0 30 34 32 07"},
	{"qsystem-rs485", 1, leddisplay.Clear, "", "01 01 20 20 20 20 20 20 20 07"},
	{"qsystem-rs485", 200, leddisplay.Show, "Я7", "01 c8 df 37 07"},
	// 5 NUL, SOH, 'Z', "01", then STX 'A' 'A' ESC ' ' mode text ETX, sum16 as 4 hex digits, EOT.
	{"alpha-betabrite", 1, leddisplay.Show, "А042", "00 00 00 00 00 01 5a 30 31 02 41 41 1b 20 62 41 30 34 32 03 30 31 46 42 04"},
	{"alpha-betabrite", 1, leddisplay.Blink, "А042", "00 00 00 00 00 01 5a 30 31 02 41 41 1b 20 63 41 30 34 32 03 30 31 46 43 04"},
	{"alpha-betabrite", 1, leddisplay.Clear, "", "00 00 00 00 00 01 5a 30 31 02 41 41 1b 20 62 20 03 30 31 34 34 04"},
	// Modbus FC16 to register 0x0080, 2 registers, 4 segment bytes, CRC-16/MODBUS low byte first.
	{"led-485-modbus", 1, leddisplay.Show, "А042", "01 10 00 80 00 02 04 77 3f 66 5b ba 2c"},
	{"led-485-modbus", 1, leddisplay.Blink, "А042", "01 10 00 80 00 02 04 77 3f 66 5b ba 2c"},
	{"led-485-modbus", 1, leddisplay.Clear, "", "01 10 00 80 00 02 04 00 00 00 00 fb cf"},
	{"led-485-modbus", 1, leddisplay.Show, "042", "01 10 00 80 00 02 04 00 3f 66 5b a1 98"},
}

func TestEncodeProfiles(t *testing.T) {
	for _, f := range frames {
		got := MustEncode(t, MustProfile(t, f.profile), f.addr, f.effect, f.text)
		if want := MustHex(t, f.want); string(got) != string(want) {
			t.Errorf("%s %d %s %q:\n got % x\nwant % x", f.profile, f.addr, f.effect, f.text, got, want)
		}
	}
}

func TestEncodeText(t *testing.T) {
	alpha := MustProfile(t, "alpha-betabrite")
	body := func(b []byte) string { // the text between the mode byte and ETX
		i := strings.Index(string(b), "\x1b\x20")
		j := strings.LastIndexByte(string(b), 0x03)
		return string(b[i+3 : j])
	}
	for text, want := range map[string]string{
		"Ж12":       "ZH12",
		"Щ1":        "SHCH1",
		"В€7":       "B?7",
		"A\x04\x1b": "A??", // control characters would end the frame early
	} {
		if got := body(MustEncode(t, alpha, 0, leddisplay.Show, text)); got != want {
			t.Errorf("alpha text %q = %q, want %q", text, got, want)
		}
	}
	led := MustProfile(t, "led-485-modbus")
	// Lower case finds the upper-case glyph; unknown characters show '-'.
	got := MustEncode(t, led, 1, leddisplay.Show, "aЩ1")
	if want := []byte{0x00, 0x77, 0x40, 0x06}; string(got[7:11]) != string(want) {
		t.Errorf("led text = % x, want % x", got[7:11], want)
	}
	if _, err := leddisplay.Encode(led, 1, leddisplay.Show, "А1234"); !errors.Is(err, leddisplay.ErrTooLong) {
		t.Errorf("5 characters on 4 digits: err = %v, want ErrTooLong", err)
	}
	if _, err := leddisplay.Encode(led, 0, leddisplay.Show, "1"); err == nil {
		t.Error("address 0 for Modbus: nil error")
	}
	if _, err := leddisplay.Encode(led, 1, "dance", "1"); err == nil {
		t.Error("unknown effect: nil error")
	}
	q := MustProfile(t, "qsystem-rs485")
	if got := MustEncode(t, q, 3, leddisplay.Show, "Ё№€"); string(got) != "\x01\x03\xa8\xb9\x88\x07" {
		t.Errorf("cp1251 = % x", got)
	}
	if got := MustEncode(t, q, 3, leddisplay.Show, "丁"); string(got) != "\x01\x03?\x07" {
		t.Errorf("not in cp1251 = % x", got)
	}
}

// ff68 is the caller-terminal frame of research/go-stack.md §5 ({len} twice,
// sum8), added as data only.
const ff68 = `{
  "id": "ff68-terminal", "name": "FF 68 caller terminal", "source": "JackQChen/QueueSystem CallSystem/frmMain.cs",
  "confidence": "low", "baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "gap_ms": 0,
  "address": {"format": "byte", "min": 1, "max": 254},
  "charset": "glyphs",
  "glyphs": {" ": "0a", "0": "00", "1": "01", "2": "02", "3": "03", "4": "04", "5": "05", "6": "06", "7": "07", "8": "08", "9": "09"},
  "missing": " ", "width": 3, "align": "right",
  "checksum": {"kind": "sum8", "format": "byte"},
  "commands": {
    "show":  "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16",
    "blink": "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16",
    "clear": "ff 68 {len} {len} 68 ( {addr} 02 0a 0a 0a {text} ) {check} 16"
  }
}`

func TestEncodeNewFamilyFromData(t *testing.T) {
	p, err := profiles.ParseDisplay([]byte(ff68))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := MustEncode(t, p, 5, leddisplay.Show, "042"), MustHex(t, "ff 68 08 08 68 05 02 0a 0a 0a 00 04 02 2b 16"); string(got) != string(want) {
		t.Errorf("sum8:\n got % x\nwant % x", got, want)
	}
	if got, want := MustEncode(t, p, 5, leddisplay.Show, "42"), MustHex(t, "ff 68 08 08 68 05 02 0a 0a 0a 0a 04 02 35 16"); string(got) != string(want) {
		t.Errorf("padded:\n got % x\nwant % x", got, want)
	}
	x, err := profiles.ParseDisplay([]byte(strings.Replace(strings.Replace(ff68, `"sum8", "format": "byte"`, `"xor", "format": "hex2"`, 1), ") {check}", ") {len} {check}", -1)))
	if err != nil {
		t.Fatal(err)
	}
	// {len} after the range too; XOR as two hex digits.
	if got, want := MustEncode(t, x, 5, leddisplay.Show, "042"), MustHex(t, "ff 68 08 08 68 05 02 0a 0a 0a 00 04 02 08 30 42 16"); string(got) != string(want) {
		t.Errorf("xor:\n got % x\nwant % x", got, want)
	}
}

func TestChecksum(t *testing.T) {
	for _, c := range []struct {
		kind string
		data string
		want uint16
	}{
		{profiles.ChecksumCRC16Modbus, "01 03 00 00 00 01", 0x0a84}, // the read-holding-register example of the Modbus spec
		{profiles.ChecksumCRC16Modbus, "", 0xffff},
		{profiles.ChecksumSum16, "ff ff 02", 0x0200},
		{profiles.ChecksumSum8, "ff 02", 0x01},
		{profiles.ChecksumXOR, "0f f0 01", 0xfe},
		{profiles.ChecksumNone, "01", 0},
	} {
		if got := leddisplay.Checksum(c.kind, MustHex(t, c.data)); got != c.want {
			t.Errorf("%s(%s) = %#04x, want %#04x", c.kind, c.data, got, c.want)
		}
	}
}
