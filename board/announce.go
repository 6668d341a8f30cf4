package board

import (
	"strings"
	"unicode"
)

// Clip names used by announcements. A clip name is a path below
// web/static/voice without the extension: "chime", "ru/talon", "en/7".
// web/static/voice/manifest.json lists every clip of the shipped pack.
const (
	clipChime = "chime"
)

// phrase holds the fixed words of one language.
type phrase struct {
	ticket, window string // clip names
	ticketText     string // the spoken text of the ticket clip
	windowText     string // the spoken text of the window clip
	ones           [20]string
	tens           [10]string // index 2..9
	hundreds       [10]string // index 1..9
}

// The read-only word tables.
var (
	russian = phrase{
		ticket: "ru/talon", window: "ru/window",
		ticketText: "Талон", windowText: "окно номер",
		ones: [20]string{"ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
			"десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
			"шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"},
		tens: [10]string{2: "двадцать", 3: "тридцать", 4: "сорок", 5: "пятьдесят", 6: "шестьдесят",
			7: "семьдесят", 8: "восемьдесят", 9: "девяносто"},
		hundreds: [10]string{1: "сто", 2: "двести", 3: "триста", 4: "четыреста", 5: "пятьсот",
			6: "шестьсот", 7: "семьсот", 8: "восемьсот", 9: "девятьсот"},
	}
	english = phrase{
		ticket: "en/ticket", window: "en/window",
		ticketText: "ticket", windowText: "window",
		ones: [20]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
			"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
			"eighteen", "nineteen"},
		tens: [10]string{2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy",
			8: "eighty", 9: "ninety"},
		hundreds: [10]string{1: "one hundred", 2: "two hundred", 3: "three hundred", 4: "four hundred",
			5: "five hundred", 6: "six hundred", 7: "seven hundred", 8: "eight hundred", 9: "nine hundred"},
	}
)

// cyrillicLetters maps each upper-case Cyrillic letter to its clip name
// (always in the Russian voice: a prefix is spoken by its Russian name in
// either language, as the staff and the printed ticket name it).
var cyrillicLetters = map[rune]string{
	'А': "ru/letter_a", 'Б': "ru/letter_b", 'В': "ru/letter_v", 'Г': "ru/letter_g",
	'Д': "ru/letter_d", 'Е': "ru/letter_e", 'Ё': "ru/letter_yo", 'Ж': "ru/letter_zh",
	'З': "ru/letter_z", 'И': "ru/letter_i", 'Й': "ru/letter_i_short", 'К': "ru/letter_k",
	'Л': "ru/letter_l", 'М': "ru/letter_m", 'Н': "ru/letter_n", 'О': "ru/letter_o",
	'П': "ru/letter_p", 'Р': "ru/letter_r", 'С': "ru/letter_s", 'Т': "ru/letter_t",
	'У': "ru/letter_u", 'Ф': "ru/letter_f", 'Х': "ru/letter_kh", 'Ц': "ru/letter_ts",
	'Ч': "ru/letter_ch", 'Ш': "ru/letter_sh", 'Щ': "ru/letter_shch", 'Ъ': "ru/letter_hard_sign",
	'Ы': "ru/letter_y", 'Ь': "ru/letter_soft_sign", 'Э': "ru/letter_eh", 'Ю': "ru/letter_yu",
	'Я': "ru/letter_ya",
}

// latinLetters maps each upper-case Latin letter to the Cyrillic letter whose
// clip speaks it, or to a clip of its own.
//
// Letters that look like a Cyrillic one (A B C E H K M O P T X Y) are spoken as
// what a visitor reads on the ticket: "B042" looks like «В042» and is said
// «вэ»; such prefixes are usually Cyrillic letters typed in the Latin layout.
// The others take the Russian school name of the Latin letter (D «дэ»,
// F «эф», G «гэ», I «и», L «эль», N «эн», R «эр», S «эс», U «у», V «вэ»,
// Z «зэ»; J «йот», Q «ку», W «дубль-вэ» have clips of their own). So H and
// N, P and R, C and S, Y and U, B and V sound alike: an office should not use
// both of a pair as prefixes.
var latinLetters = map[rune]string{
	'A': "А", 'B': "В", 'C': "С", 'E': "Е", 'H': "Н", 'K': "К", 'M': "М", 'O': "О",
	'P': "Р", 'T': "Т", 'X': "Х", 'Y': "У",
	'D': "Д", 'F': "Ф", 'G': "Г", 'I': "И", 'L': "Л", 'N': "Н", 'R': "Р", 'S': "С",
	'U': "У", 'V': "В", 'Z': "З",
	'J': "ru/letter_latin_j", 'Q': "ru/letter_latin_q", 'W': "ru/letter_latin_w",
}

// letterClip returns the clip that speaks the letter r, in either case.
func letterClip(r rune) (string, bool) {
	r = unicode.ToUpper(r)
	if c, ok := cyrillicLetters[r]; ok {
		return c, true
	}
	m, ok := latinLetters[r]
	if !ok {
		return "", false
	}
	if strings.Contains(m, "/") {
		return m, true
	}
	return cyrillicLetters[[]rune(m)[0]], true
}

// word is one spoken item: a clip and its text.
type word struct{ clip, text string }

// numberWords speaks a string of ASCII digits. Leading zeros are not spoken
// ("042" is «сорок два», "000" is «ноль»). Numbers 0–999 are spoken as
// hundreds, tens and units; longer ones, which a ticket or window number
// should never be, digit by digit.
func numberWords(p *phrase, lang, digits string) []word {
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return []word{{lang + "/0", p.ones[0]}}
	}
	if len(digits) > 3 {
		ws := make([]word, 0, len(digits))
		for _, d := range digits {
			n := int(d - '0')
			ws = append(ws, word{lang + "/" + itoa(n), p.ones[n]})
		}
		return ws
	}
	n := 0
	for _, d := range digits {
		n = n*10 + int(d-'0')
	}
	var ws []word
	if h := n / 100; h > 0 {
		ws = append(ws, word{lang + "/" + itoa(h*100), p.hundreds[h]})
	}
	switch r := n % 100; {
	case r == 0:
	case r < 20:
		ws = append(ws, word{lang + "/" + itoa(r), p.ones[r]})
	default:
		ws = append(ws, word{lang + "/" + itoa(r/10*10), p.tens[r/10]})
		if u := r % 10; u > 0 {
			ws = append(ws, word{lang + "/" + itoa(u), p.ones[u]})
		}
	}
	return ws
}

// itoa formats a small non-negative int.
func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// ticketWords speaks a ticket number: letters by name, each run of digits as
// a number, in the order written. Separators ("А-042", "А 042") and any
// character without a clip are skipped.
func ticketWords(p *phrase, lang, number string) []word {
	var ws []word
	rs := []rune(number)
	for i := 0; i < len(rs); {
		r := rs[i]
		if r >= '0' && r <= '9' {
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			ws = append(ws, numberWords(p, lang, string(rs[i:j]))...)
			i = j
			continue
		}
		if c, ok := letterClip(r); ok {
			ws = append(ws, word{c, string(unicode.ToUpper(r))})
		}
		i++
	}
	return ws
}

// announcementWords builds the whole phrase (without the chime).
func announcementWords(number string, window int, lang string) []word {
	p, code := &russian, "ru"
	if isEnglish(lang) {
		p, code = &english, "en"
	}
	ws := []word{{p.ticket, p.ticketText}}
	ws = append(ws, ticketWords(p, code, number)...)
	if window > 0 {
		ws = append(ws, word{p.window, p.windowText})
		ws = append(ws, numberWords(p, code, itoa(window))...)
	}
	return ws
}

// isEnglish reports whether lang asks for English ("en", "en-GB", "en_US").
// Anything else is Russian.
func isEnglish(lang string) bool {
	l := strings.ToLower(lang)
	return l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// Announcement returns the clips to play, in order, to call ticket number to
// window: the chime, then «талон», the ticket number, «окно номер» and the
// window number. For "А123" at window 5 in Russian that is
//
//	chime ru/talon ru/letter_a ru/100 ru/20 ru/3 ru/window ru/5
//
// lang "en" (or "en-…") gives the English phrase ("ticket A one hundred
// twenty three, window five"); anything else gives Russian. Prefix letters,
// Cyrillic or Latin, are spoken by their Russian letter names in either
// language. Leading zeros are not spoken; a window ≤ 0 leaves the window part
// out. To say both languages, play the Russian list and then the English one
// without its first element (the chime, always first).
func Announcement(number string, window int, lang string) []string {
	ws := announcementWords(number, window, lang)
	clips := make([]string, 0, len(ws)+1)
	clips = append(clips, clipChime)
	for _, w := range ws {
		clips = append(clips, w.clip)
	}
	return clips
}

// AnnouncementText returns the phrase Announcement speaks, as text:
// «Талон А сто двадцать три, окно номер пять», or in English
// "ticket A one hundred twenty three, window five". Prefix letters are
// written as on the ticket, in upper case.
func AnnouncementText(number string, window int, lang string) string {
	ws := announcementWords(number, window, lang)
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			if w.clip == russian.window || w.clip == english.window {
				b.WriteString(",")
			}
			b.WriteString(" ")
		}
		b.WriteString(w.text)
	}
	return b.String()
}
