package profiles_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	profiles "github.com/talon-queue/talon/firmware-profiles"
)

func MustPrinters(tb testing.TB) []profiles.Printer {
	tb.Helper()
	all, err := profiles.Printers()
	if err != nil {
		tb.Fatalf("Printers() = %v", err)
	}
	return all
}

func TestBuiltinPrinters(t *testing.T) {
	all := MustPrinters(t)
	var ids []string
	for _, p := range all {
		ids = append(ids, p.ID)
		if len(p.Source) < 20 {
			t.Errorf("%s: source %q does not say where the commands come from", p.ID, p.Source)
		}
	}
	want := "citizen-hp-80 generic-escpos-80 generic-escpos-80-raster pos-58-raster"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("ids = %q, want %q", got, want)
	}
	g, err := profiles.PrinterByID("generic-escpos-80")
	if err != nil {
		t.Fatal(err)
	}
	if g.Charset != "cp866" || g.CodePage != 17 || g.Columns != 48 || g.Dots != 576 || g.QR != profiles.QRNative {
		t.Errorf("generic = %+v", g)
	}
	if !bytes.Equal(g.Cut, []byte{0x1d, 0x56, 0x42, 0x00}) {
		t.Errorf("generic cut = % x, want 1d 56 42 00", g.Cut)
	}
	c, err := profiles.PrinterByID("citizen-hp-80")
	if err != nil {
		t.Fatal(err)
	}
	if c.CodePage != 7 {
		t.Errorf("citizen code page = %d, want 7", c.CodePage)
	}
	r, err := profiles.PrinterByID("generic-escpos-80-raster")
	if err != nil {
		t.Fatal(err)
	}
	if r.QR != profiles.QRRaster {
		t.Errorf("raster profile qr = %q", r.QR)
	}
	if _, err := profiles.PrinterByID("no-such"); err == nil {
		t.Error("PrinterByID(no-such) = nil error")
	}
}

const extra = `{
  "id": "acme-76",
  "name": "Acme 76 mm",
  "source": "Acme programming manual v2, p. 12",
  "paper_mm": 76, "dots": 512, "columns": 42,
  "charset": "cp866", "code_page": 17,
  "qr": "raster", "qr_module": 4, "qr_ecc": "Q",
  "barcode": "none",
  "feed_lines": 3, "cut": "1d 56 01", "status": "none"
}`

// A new printer is a JSON file: no code change.
func TestLoadPrintersFromDirectory(t *testing.T) {
	fsys := fstest.MapFS{"acme-76.json": {Data: []byte(extra)}, "README.txt": {Data: []byte("x")}}
	got, err := profiles.LoadPrinters(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "acme-76" || !bytes.Equal(got[0].Cut, []byte{0x1d, 0x56, 0x01}) || got[0].Status != profiles.StatusNone {
		t.Errorf("LoadPrinters = %+v", got)
	}
	// Round trip through JSON keeps the hex form.
	b, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cut":"1d 56 01"`) {
		t.Errorf("marshal = %s", b)
	}
}

func TestLoadPrintersRejects(t *testing.T) {
	for name, tc := range map[string]struct{ file, data string }{
		"unknown field":   {"acme-76.json", strings.Replace(extra, `"status"`, `"stauts": "x", "status"`, 1)},
		"id not filename": {"other.json", extra},
		"no source":       {"acme-76.json", strings.Replace(extra, "Acme programming manual v2, p. 12", " ", 1)},
		"bad hex":         {"acme-76.json", strings.Replace(extra, "1d 56 01", "1d 5g", 1)},
		"bad qr mode":     {"acme-76.json", strings.Replace(extra, `"qr": "raster"`, `"qr": "bitmap"`, 1)},
		"dots not 8x":     {"acme-76.json", strings.Replace(extra, `"dots": 512`, `"dots": 510`, 1)},
		"charset":         {"acme-76.json", strings.Replace(extra, "cp866", "cp1251", 1)},
		"code page":       {"acme-76.json", strings.Replace(extra, `"code_page": 17`, `"code_page": 300`, 1)},
	} {
		_, err := profiles.LoadPrinters(fstest.MapFS{tc.file: {Data: []byte(tc.data)}})
		if err == nil {
			t.Errorf("%s: LoadPrinters = nil error", name)
		}
	}
}
