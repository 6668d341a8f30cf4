package queue_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
)

func TestBoardSettingsDefaultsAndValidation(t *testing.T) {
	// An office document without board settings, or with some of them,
	// gets the defaults for the rest.
	var o queue.Office
	if err := json.Unmarshal([]byte(`{"id":"x","name":{"ru":"X"},"settings":{"board":{"rows":6}}}`), &o); err != nil {
		t.Fatal(err)
	}
	want := queue.DefaultBoardSettings()
	want.Rows = 6
	if o.Settings.Board != want {
		t.Errorf("partial board settings: got %+v, want %+v", o.Settings.Board, want)
	}
	o = queue.Office{}
	if err := json.Unmarshal([]byte(`{"id":"x","name":{"ru":"X"}}`), &o); err != nil {
		t.Fatal(err)
	}
	if got := o.Settings.Board; got != queue.DefaultBoardSettings() || got.Columns != 2 || got.Rows != 4 || got.Lang != queue.BoardRU {
		t.Errorf("absent board settings: got %+v", got)
	}

	cases := []struct {
		name  string
		board func(*queue.BoardSettings)
		field string // "" for valid
		rule  string
	}{
		{"defaults", func(*queue.BoardSettings) {}, "", ""},
		{"largest", func(b *queue.BoardSettings) {
			b.Columns, b.Rows, b.Lang, b.Ticker = 4, 12, queue.BoardBoth, strings.Repeat("я", 500)
		}, "", ""},
		{"no columns", func(b *queue.BoardSettings) { b.Columns = 0 }, "settings.board.columns", queue.RuleRange},
		{"five columns", func(b *queue.BoardSettings) { b.Columns = 5 }, "settings.board.columns", queue.RuleRange},
		{"no rows", func(b *queue.BoardSettings) { b.Rows = 0 }, "settings.board.rows", queue.RuleRange},
		{"13 rows", func(b *queue.BoardSettings) { b.Rows = 13 }, "settings.board.rows", queue.RuleRange},
		{"French", func(b *queue.BoardSettings) { b.Lang = "fr" }, "settings.board.lang", queue.RuleValue},
		{"no language", func(b *queue.BoardSettings) { b.Lang = "" }, "settings.board.lang", queue.RuleValue},
		{"long ticker", func(b *queue.BoardSettings) { b.Ticker = strings.Repeat("я", 501) }, "settings.board.ticker", queue.RuleTooLong},
		{"control characters", func(b *queue.BoardSettings) { b.Ticker = "a\x1b[2Jb" }, "settings.board.ticker", queue.RuleFormat},
	}
	for _, c := range cases {
		o := queuetest.Office().Office
		c.board(&o.Settings.Board)
		err := o.Validate()
		var qe *queue.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &qe) || qe.Code != queue.CodeInvalidField || qe.Params["field"] != c.field || qe.Params["rule"] != c.rule):
			t.Errorf("%s: got %v, want %s on %s", c.name, err, c.rule, c.field)
		}
	}
}
