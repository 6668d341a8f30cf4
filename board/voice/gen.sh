#!/usr/bin/env bash
# gen.sh generates the voice clip pack for board announcements into
# web/static/voice: ru/*.opus, en/*.opus, chime.opus and manifest.json.
#
# Every clip named by board.Announcement must be listed here (the board test
# checks the pack against the package). Audio comes only from Debian tools:
#
#   apt-get install festival festvox-ru festvox-us-slt-hts sox opus-tools
#
# Russian: festvox-ru, voice msu_ru_nsh_clunits (BSD-like licence).
# English: festvox-us-slt-hts, voice cmu_us_slt_arctic_hts (EST-2003, BSD-like).
# Chime: synthesized with sox. Encoding: Opus in Ogg, mono, 24 kbit/s VBR.
# The output is deterministic (fixed Ogg serial, repeatable sox dither), so
# re-running with the same packages does not churn the files.
# Run from anywhere: board/voice/gen.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${VOICE_OUT:-$root/web/static/voice}
bitrate=${VOICE_BITRATE:-24}

for tool in festival sox soxi opusenc; do
	command -v "$tool" >/dev/null || {
		echo "gen.sh: $tool missing; apt-get install festival festvox-ru festvox-us-slt-hts sox opus-tools" >&2
		exit 1
	}
done

# -R: repeatable dither, so the same input gives the same bytes.
sox() { command sox -R "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name|voice|text[|shown]. Clip names are paths below $out without ".opus". In Russian
# text "+" goes before the stressed vowel (festvox-ru reduces unmarked ones:
# «ноль» would come out «нль»); the manifest gets the text
# without it, or the shown text where one is given.
clips() {
	cat <<'LIST'
ru/talon|ru|тал+он
ru/window|ru|окн+о н+омер
ru/0|ru|н+оль
ru/1|ru|од+ин
ru/2|ru|дв+а
ru/3|ru|тр+и
ru/4|ru|чет+ыре
ru/5|ru|п+ять
ru/6|ru|ш+есть
ru/7|ru|с+емь
ru/8|ru|в+осемь
ru/9|ru|д+евять
ru/10|ru|д+есять
ru/11|ru|од+иннадцать
ru/12|ru|двен+адцать
ru/13|ru|трин+адцать
ru/14|ru|чет+ырнадцать
ru/15|ru|пятн+адцать
ru/16|ru|шестн+адцать
ru/17|ru|семн+адцать
ru/18|ru|восемн+адцать
ru/19|ru|девятн+адцать
ru/20|ru|дв+адцать
ru/30|ru|тр+идцать
ru/40|ru|с+орок
ru/50|ru|пятьдес+ят
ru/60|ru|шестьдес+ят
ru/70|ru|с+емьдесят
ru/80|ru|в+осемьдесят
ru/90|ru|девян+осто
ru/100|ru|ст+о
ru/200|ru|дв+ести
ru/300|ru|тр+иста
ru/400|ru|чет+ыреста
ru/500|ru|пятьс+от
ru/600|ru|шестьс+от
ru/700|ru|семьс+от
ru/800|ru|восемьс+от
ru/900|ru|девятьс+от
ru/letter_a|ru|+а
ru/letter_b|ru|б+э
ru/letter_v|ru|в+э
ru/letter_g|ru|г+э
ru/letter_d|ru|д+э
ru/letter_e|ru|+е
ru/letter_yo|ru|й+о|ё
ru/letter_zh|ru|ж+э
ru/letter_z|ru|з+э
ru/letter_i|ru|+и
ru/letter_i_short|ru|+и кр+аткое
ru/letter_k|ru|к+а
ru/letter_l|ru|+эль
ru/letter_m|ru|+эм
ru/letter_n|ru|+эн
ru/letter_o|ru|+о
ru/letter_p|ru|п+э
ru/letter_r|ru|+эр
ru/letter_s|ru|+эс
ru/letter_t|ru|т+э
ru/letter_u|ru|+у
ru/letter_f|ru|+эф
ru/letter_kh|ru|х+а
ru/letter_ts|ru|ц+э
ru/letter_ch|ru|ч+е
ru/letter_sh|ru|ш+а
ru/letter_shch|ru|щ+а
ru/letter_hard_sign|ru|тв+ёрдый зн+ак
ru/letter_y|ru|+ы
ru/letter_soft_sign|ru|м+ягкий зн+ак
ru/letter_eh|ru|+э
ru/letter_yu|ru|+ю
ru/letter_ya|ru|+я
ru/letter_latin_j|ru|й+от
ru/letter_latin_q|ru|к+у
ru/letter_latin_w|ru|д+убль-в+э
en/ticket|en|ticket
en/window|en|window
en/0|en|zero
en/1|en|one
en/2|en|two
en/3|en|three
en/4|en|four
en/5|en|five
en/6|en|six
en/7|en|seven
en/8|en|eight
en/9|en|nine
en/10|en|ten
en/11|en|eleven
en/12|en|twelve
en/13|en|thirteen
en/14|en|fourteen
en/15|en|fifteen
en/16|en|sixteen
en/17|en|seventeen
en/18|en|eighteen
en/19|en|nineteen
en/20|en|twenty
en/30|en|thirty
en/40|en|forty
en/50|en|fifty
en/60|en|sixty
en/70|en|seventy
en/80|en|eighty
en/90|en|ninety
en/100|en|one hundred
en/200|en|two hundred
en/300|en|three hundred
en/400|en|four hundred
en/500|en|five hundred
en/600|en|six hundred
en/700|en|seven hundred
en/800|en|eight hundred
en/900|en|nine hundred
LIST
}

# 1. Synthesize every clip in one festival session per voice.
for voice in ru en; do
	case $voice in
	ru) select='(voice_msu_ru_nsh_clunits)' ;;
	en) select='(voice_cmu_us_slt_arctic_hts)' ;;
	esac
	{
		echo "$select"
		clips | while IFS='|' read -r name v text _; do
			[ "$v" = "$voice" ] || continue
			echo "(utt.save.wave (SynthText \"$text\") \"$work/${name//\//_}.raw.wav\" 'riff)"
		done
	} >"$work/$voice.scm"
	festival -b "$work/$voice.scm"
done

# 2. Trim silence, filter, normalize, leave a short tail so clips played back
# to back do not run together; encode.
rm -rf "$out/ru" "$out/en" "$out/chime.opus" "$out/manifest.json"
mkdir -p "$out/ru" "$out/en"

encode() { # wav name
	opusenc --quiet --bitrate "$bitrate" --vbr --downmix-mono --serial 1 \
		--comment "TITLE=$2" "$1" "$out/$2.opus"
}

manifest=$work/manifest.lines
: >"$manifest"
add() { # name text wav
	local ms bytes
	ms=$(soxi -D "$3" | awk '{printf "%d", $1 * 1000 + 0.5}')
	bytes=$(stat -c %s "$out/$1.opus")
	printf '    "%s": {"text": "%s", "ms": %s, "bytes": %s}' "$1" "$2" "$ms" "$bytes" >>"$manifest"
}

while IFS='|' read -r name v text shown; do
	raw=$work/${name//\//_}.raw.wav
	wav=$work/${name//\//_}.wav
	sox "$raw" -r 24000 -c 1 -b 16 "$work/trim.wav" \
		highpass 70 silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse
	sox "$work/trim.wav" "$wav" norm -1 fade q 0.005 0 0.01 pad 0.01 0.08
	encode "$wav" "$name"
	[ -s "$manifest" ] && printf ',\n' >>"$manifest"
	add "$name" "${shown:-${text//+/}}" "$wav"
done < <(clips)

# 3. The chime: a two-note bell (E5 then C5). Each note is a strike (fast
# logarithmic decay) plus a quieter ring (half-sine decay) and two inharmonic
# partials.
bell() { # freq delay out
	local f=$1
	tone() { # file len freq fade vol
		sox -n -r 24000 -c 1 -b 16 "$work/$1" synth "$2" sine "$3" fade "$4" 0.004 "$2" "$(awk "BEGIN{print $2-0.005}")" vol "$5"
	}
	tone p1.wav 1.3 "$f" l 1
	tone p2.wav 1.4 "$f" h 0.4
	tone p3.wav 0.7 "$(awk "BEGIN{print $f*2.76}")" l 0.3
	tone p4.wav 0.4 "$(awk "BEGIN{print $f*5.4}")" l 0.12
	sox -m "$work/p1.wav" "$work/p2.wav" "$work/p3.wav" "$work/p4.wav" "$3" pad "$2" 0
}
bell 659.25 0 "$work/n1.wav"
bell 523.25 0.5 "$work/n2.wav"
sox -m "$work/n1.wav" "$work/n2.wav" "$work/chime.wav" norm -3 pad 0 0.2
encode "$work/chime.wav" chime
printf ',\n' >>"$manifest"
add chime "" "$work/chime.wav"

# 4. The manifest: every clip with its spoken text, duration and size.
{
	echo '{'
	echo '  "format": "audio/ogg; codecs=opus",'
	echo '  "ext": ".opus",'
	echo '  "generator": "board/voice/gen.sh",'
	echo '  "voices": {"ru": "festival + festvox-ru (msu_ru_nsh_clunits)", "en": "festival + festvox-us-slt-hts (cmu_us_slt_arctic_hts)"},'
	echo '  "clips": {'
	cat "$manifest"
	echo
	echo '  }'
	echo '}'
} >"$out/manifest.json"

n=$(find "$out" -name '*.opus' | wc -l)
total=$(du -cb "$out"/*.opus "$out"/ru/*.opus "$out"/en/*.opus | tail -1 | cut -f1)
echo "gen.sh: $n clips, $total bytes in $out"
