package web_test

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/talon-queue/talon/queue"
)

func readCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("i18n/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEveryCodeHasAMessageInEveryLanguage(t *testing.T) {
	ru, en := readCatalog(t, "ru"), readCatalog(t, "en")
	if a, b := slices.Sorted(maps.Keys(ru)), slices.Sorted(maps.Keys(en)); !slices.Equal(a, b) {
		t.Fatalf("ru and en keys differ:\nru %v\nen %v", a, b)
	}
	for _, code := range queue.Codes() {
		if ru["error."+code] == "" {
			t.Errorf("no message for error code %s", code)
		}
	}
	for _, r := range queue.Rules() {
		if ru["rule."+r] == "" {
			t.Errorf("no message for rule %s", r)
		}
	}
	// Statuses and purposes appear in messages as words, not codes.
	for _, s := range queue.Statuses() {
		if ru["value.status."+string(s)] == "" {
			t.Errorf("no word for status %s", s)
		}
	}
	for _, p := range queue.Purposes() {
		if ru["value.purpose."+string(p)] == "" {
			t.Errorf("no word for purpose %s", p)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
