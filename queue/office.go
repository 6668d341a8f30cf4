package queue

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text is a name in Russian, with an English form when one is set.
type Text struct {
	RU string `json:"ru" doc:"Russian text"`
	EN string `json:"en,omitempty" doc:"English text; Russian is shown when empty"`
}

// In returns the text in lang ("ru" or "en"), falling back to Russian.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.RU
}

func (t Text) validate(field string, required bool) error {
	if required && strings.TrimSpace(t.RU) == "" {
		return Invalid(field+".ru", RuleRequired)
	}
	if utf8.RuneCountInString(t.RU) > 200 {
		return Invalid(field+".ru", RuleTooLong, "max", "200")
	}
	if utf8.RuneCountInString(t.EN) > 200 {
		return Invalid(field+".en", RuleTooLong, "max", "200")
	}
	return nil
}

// Office is one public-service centre: its time zone, hours, holidays and the
// rules of its queue. Its services, windows and categories are kept beside it.
type Office struct {
	ID       string    `json:"id" doc:"stable identifier, lower-case latin, digits, '-' and '_'"`
	Name     Text      `json:"name"`
	Address  string    `json:"address,omitempty"`
	TimeZone string    `json:"time_zone" doc:"IANA time zone, e.g. Europe/Moscow; the day closes at local midnight"`
	Hours    WeekHours `json:"hours" doc:"opening hours per weekday"`
	Holidays []Holiday `json:"holidays,omitempty"`
	Settings Settings  `json:"settings"`
	Active   bool      `json:"active"`
}

// Settings are the per-office rules of the queue. Every weight is in minutes of
// waiting, so an operator can read the selection as "a category level is worth
// twenty minutes in the queue".
type Settings struct {
	WaitNormMinutes     int                `json:"wait_norm_minutes" doc:"target maximum wait (the МФЦ norm is 15 minutes)"`
	CategoryWeight      int                `json:"category_weight_minutes" doc:"minutes of waiting that one category level is worth"`
	RankWeight          int                `json:"rank_weight_minutes" doc:"minutes a service loses per rank step below the window's main services"`
	OverNormFactor      float64            `json:"over_norm_factor" doc:"extra weight per minute waited beyond the norm (aging)"`
	BookingWeight       int                `json:"booking_weight_minutes" doc:"minutes a pre-booked visitor gains once the appointment time has come"`
	RecallLimit         int                `json:"recall_limit" doc:"a recall beyond this many marks the ticket a no-show; 0 means unlimited"`
	MaxPostponeMinutes  int                `json:"max_postpone_minutes"`
	CheckinEarlyMinutes int                `json:"checkin_early_minutes" doc:"how early before the appointment a booking can be checked in"`
	CheckinLateMinutes  int                `json:"checkin_late_minutes" doc:"how late after the appointment a booking can still be checked in"`
	StopIssueMinutes    int                `json:"stop_issue_minutes" doc:"stop issuing tickets this many minutes before closing"`
	PurposeServices     map[Purpose]string `json:"purpose_services,omitempty" doc:"service used when a ticket names only a visit purpose"`
	Board               BoardSettings      `json:"board" doc:"layout of the office's hall boards; a board's address may override it per screen"`
}

// BoardLang is the language a hall board shows and speaks.
type BoardLang string

// The board languages.
const (
	BoardRU   BoardLang = "ru"
	BoardEN   BoardLang = "en"
	BoardBoth BoardLang = "both" // Russian first, English beside it
)

// BoardLangs returns every board language.
func BoardLangs() []BoardLang { return []BoardLang{BoardRU, BoardEN, BoardBoth} }

// BoardSettings is the layout of an office's hall boards (/board): the grid
// of calls, the language and the office's text line. Boards follow a change
// at once, without a reload.
type BoardSettings struct {
	Columns int       `json:"columns" doc:"columns of calls, 1–4"`
	Rows    int       `json:"rows" doc:"rows of calls per column, 1–12"`
	Lang    BoardLang `json:"lang" doc:"ru, en, or both (Russian with English beside it)"`
	Ticker  string    `json:"ticker,omitempty" doc:"the office's text line at the bottom, at most 500 characters; the office's name and address when empty"`
}

// DefaultBoardSettings returns the board layout of a new office.
func DefaultBoardSettings() BoardSettings {
	return BoardSettings{Columns: 2, Rows: 4, Lang: BoardRU}
}

// UnmarshalJSON fills absent fields with DefaultBoardSettings.
func (b *BoardSettings) UnmarshalJSON(data []byte) error {
	type plain BoardSettings
	p := plain(DefaultBoardSettings())
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*b = BoardSettings(p)
	return nil
}

func (b *BoardSettings) validate(field string) error {
	if b.Columns < 1 || b.Columns > 4 {
		return Invalid(field+".columns", RuleRange, "min", "1", "max", "4")
	}
	if b.Rows < 1 || b.Rows > 12 {
		return Invalid(field+".rows", RuleRange, "min", "1", "max", "12")
	}
	if !slices.Contains(BoardLangs(), b.Lang) {
		return Invalid(field+".lang", RuleValue)
	}
	if utf8.RuneCountInString(b.Ticker) > 500 {
		return Invalid(field+".ticker", RuleTooLong, "max", "500")
	}
	if !utf8.ValidString(b.Ticker) || strings.ContainsFunc(b.Ticker, unicode.IsControl) {
		return Invalid(field+".ticker", RuleFormat)
	}
	return nil
}

// DefaultSettings returns the settings of a new office.
func DefaultSettings() Settings {
	return Settings{
		WaitNormMinutes:     15,
		CategoryWeight:      30,
		RankWeight:          10,
		OverNormFactor:      1,
		BookingWeight:       60,
		RecallLimit:         3,
		MaxPostponeMinutes:  240,
		CheckinEarlyMinutes: 30,
		CheckinLateMinutes:  15,
		Board:               DefaultBoardSettings(),
	}
}

// UnmarshalJSON fills absent fields with DefaultSettings.
func (s *Settings) UnmarshalJSON(b []byte) error {
	type plain Settings
	p := plain(DefaultSettings())
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Settings(p)
	return nil
}

// UnmarshalJSON fills absent fields with defaults: an office is active and has
// DefaultSettings unless the document says otherwise.
func (o *Office) UnmarshalJSON(b []byte) error {
	type plain Office
	p := plain{Active: true, Settings: DefaultSettings(), TimeZone: "Europe/Moscow"}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*o = Office(p)
	return nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func validID(field, id string) error {
	if id == "" {
		return Invalid(field, RuleRequired)
	}
	if !idPattern.MatchString(id) {
		return Invalid(field, RuleFormat)
	}
	return nil
}

// Validate checks the office on its own (not its catalogue).
func (o *Office) Validate() error {
	if err := validID("id", o.ID); err != nil {
		return err
	}
	if err := o.Name.validate("name", true); err != nil {
		return err
	}
	if len(o.Address) > 500 {
		return Invalid("address", RuleTooLong, "max", "500")
	}
	if o.TimeZone == "" {
		return Invalid("time_zone", RuleRequired)
	}
	if _, err := time.LoadLocation(o.TimeZone); err != nil {
		return Invalid("time_zone", RuleValue)
	}
	if err := o.Hours.validate("hours"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, h := range o.Holidays {
		f := fmt.Sprintf("holidays[%d]", i)
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			return Invalid(f+".date", RuleFormat)
		}
		if seen[h.Date] {
			return Invalid(f+".date", RuleDup)
		}
		seen[h.Date] = true
		if h.Hours != nil {
			if err := h.Hours.validate(f + ".hours"); err != nil {
				return err
			}
		}
	}
	return o.Settings.validate("settings")
}

func (s *Settings) validate(field string) error {
	ranges := []struct {
		name      string
		v, lo, hi int
	}{
		{"wait_norm_minutes", s.WaitNormMinutes, 1, 480},
		{"category_weight_minutes", s.CategoryWeight, 0, 10000},
		{"rank_weight_minutes", s.RankWeight, 0, 10000},
		{"booking_weight_minutes", s.BookingWeight, 0, 10000},
		{"recall_limit", s.RecallLimit, 0, 20},
		{"max_postpone_minutes", s.MaxPostponeMinutes, 1, 1440},
		{"checkin_early_minutes", s.CheckinEarlyMinutes, 0, 720},
		{"checkin_late_minutes", s.CheckinLateMinutes, 0, 720},
		{"stop_issue_minutes", s.StopIssueMinutes, 0, 720},
	}
	for _, r := range ranges {
		if r.v < r.lo || r.v > r.hi {
			return Invalid(field+"."+r.name, RuleRange, "min", fmt.Sprint(r.lo), "max", fmt.Sprint(r.hi))
		}
	}
	if s.OverNormFactor < 0 || s.OverNormFactor > 100 {
		return Invalid(field+".over_norm_factor", RuleRange, "min", "0", "max", "100")
	}
	for p := range s.PurposeServices {
		if !p.valid() {
			return Invalid(field+".purpose_services", RuleValue)
		}
	}
	return s.Board.validate(field + ".board")
}

// location returns the office's time zone; Validate guarantees it loads.
func (o *Office) location() *time.Location {
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
