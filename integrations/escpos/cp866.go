package escpos

// cp866Box holds the runes of CP866 bytes 0xB0..0xDF (shades, box drawing).
const cp866Box = "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"

// cp866Tail holds the runes of CP866 bytes 0xF0..0xFF.
const cp866Tail = "ЁёЄєЇїЎў°∙·√№¤■\u00a0"

// cp866Byte returns the CP866 byte of r, if CP866 has one.
func cp866Byte(r rune) (byte, bool) {
	switch {
	case r >= 0x20 && r < 0x7f:
		return byte(r), true
	case r >= 'А' && r <= 'п': // А..Я а..п are contiguous in both
		return byte(0x80 + r - 'А'), true
	case r >= 'р' && r <= 'я':
		return byte(0xe0 + r - 'р'), true
	}
	if i := runeIndex(cp866Box, r); i >= 0 {
		return byte(0xb0 + i), true
	}
	if i := runeIndex(cp866Tail, r); i >= 0 {
		return byte(0xf0 + i), true
	}
	return 0, false
}

// runeIndex returns the position of r in s counted in runes, or -1.
func runeIndex(s string, r rune) int {
	i := 0
	for _, c := range s {
		if c == r {
			return i
		}
		i++
	}
	return -1
}

// cp866Substitute returns the ASCII or CP866 text printed for a rune CP866
// lacks, or "" when there is none.
func cp866Substitute(r rune) string {
	switch r {
	case '«', '»', '„', '“', '”', '″', '‟':
		return `"`
	case '‘', '’', '‚', '′', '‛':
		return "'"
	case '‐', '‑', '‒', '–', '—', '―', '−':
		return "-"
	case '…':
		return "..."
	case '≈', '∼':
		return "~"
	case '≤':
		return "<="
	case '≥':
		return ">="
	case '×':
		return "x"
	case '•':
		return "∙"
	case '₽':
		return "руб."
	case '€':
		return "EUR"
	case '©':
		return "(c)"
	case '™':
		return "TM"
	case 'І':
		return "I"
	case 'і':
		return "i"
	case '\u2002', '\u2003', '\u2009', '\u200a', '\u202f', '\u205f':
		return " "
	}
	return ""
}

// ToCP866 encodes s for a printer set to code page 866. Runes CP866 lacks are
// substituted (« » → ", — → -, … → ..., ₽ → руб.) or printed as '?'. Control
// characters other than '\n' become spaces, so text can never smuggle in a
// printer command.
func ToCP866(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r == '\n' {
			out = append(out, '\n')
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			out = append(out, ' ')
			continue
		}
		if b, ok := cp866Byte(r); ok {
			out = append(out, b)
			continue
		}
		if sub := cp866Substitute(r); sub != "" {
			for _, c := range sub {
				b, _ := cp866Byte(c) // every substitute is in CP866
				out = append(out, b)
			}
			continue
		}
		out = append(out, '?')
	}
	return out
}
