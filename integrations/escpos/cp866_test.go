package escpos_test

import (
	"bytes"
	"testing"

	"github.com/talon-queue/talon/integrations/escpos"
)

// Every printable CP866 character encodes to the byte iconv says it is.
func TestToCP866MatchesIconv(t *testing.T) {
	cp := MustCP866(t)
	for b := 0x20; b <= 0xff; b++ {
		if b == 0x7f {
			continue
		}
		r := cp[b]
		if got := escpos.ToCP866(string(r)); !bytes.Equal(got, []byte{byte(b)}) {
			t.Errorf("ToCP866(%q U+%04X) = % x, want %02x", r, r, got, b)
		}
	}
}

func TestToCP866Substitutes(t *testing.T) {
	cp := MustCP866(t)
	for _, tc := range []struct{ in, want string }{
		{"«Мои документы» — срочно…", `"Мои документы" - срочно...`},
		{"Окно №5, 10 ₽", "Окно №5, 10 руб."},
		{"„кавычки“ ‘и’ – тире", `"кавычки" 'и' - тире`},
		{"Ёлка ёж", "Ёлка ёж"},
		{"ожидание ≈ 5 мин", "ожидание ~ 5 мин"},
		{"emoji 😀 ä", "emoji ? ?"},
		{"esc\x1b@dle\x10\x04\x01tab\t", "esc @dle   tab "},
	} {
		got := escpos.ToCP866(tc.in)
		var back []rune
		for _, b := range got {
			back = append(back, cp[b])
		}
		if string(back) != tc.want {
			t.Errorf("ToCP866(%q) decodes to %q, want %q", tc.in, string(back), tc.want)
		}
		for _, b := range got {
			if b < 0x20 || b == 0x7f {
				t.Errorf("ToCP866(%q) = % x keeps control byte %#x", tc.in, got, b)
			}
		}
	}
	if got := escpos.ToCP866("№"); !bytes.Equal(got, []byte{0xfc}) {
		t.Errorf("ToCP866(№) = % x, want fc", got)
	}
	if got := escpos.ToCP866("a\nb"); !bytes.Equal(got, []byte("a\nb")) {
		t.Errorf("ToCP866 must keep line feeds: % x", got)
	}
}
