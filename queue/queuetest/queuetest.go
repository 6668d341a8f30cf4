// Package queuetest opens real engines on real bbolt files for tests, with a
// clock tests move by hand and a small office to work in.
package queuetest

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
)

// Clock is a hand-moved clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Start is the default time of a test clock: Tuesday 24 November 2026, 10:00
// in Moscow, within the office hours of Office.
var Start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))

// Env is an engine on a bbolt file in a temporary directory.
type Env struct {
	Q     *queue.Queue
	Store *bolt.Store
	Clock *Clock
	Path  string
	opts  bolt.Options
	tb    testing.TB
}

// MustOpen opens an engine on a new file in tb.TempDir(); it is closed when
// the test ends.
func MustOpen(tb testing.TB, o bolt.Options) *Env {
	tb.Helper()
	e := &Env{Clock: NewClock(Start), Path: filepath.Join(tb.TempDir(), "talon.db"), opts: o, tb: tb}
	e.open()
	tb.Cleanup(func() { e.Close() })
	return e
}

func (e *Env) open() {
	e.tb.Helper()
	s, err := bolt.Open(e.Path, e.opts)
	if err != nil {
		e.tb.Fatal(err)
	}
	q, err := queue.Open(s, queue.Options{Now: e.Clock.Now})
	if err != nil {
		e.tb.Fatal(err)
	}
	e.Q, e.Store = q, s
}

// Close stops the engine and closes the file (safe to call twice).
func (e *Env) Close() {
	if e.Q != nil {
		e.Q.Close()
		e.Store.Close()
		e.Q, e.Store = nil, nil
	}
}

// Reopen closes and opens the engine again on the same file, as after a restart.
func (e *Env) Reopen() {
	e.tb.Helper()
	e.Close()
	e.open()
}

// Admin is a meta for the system administrator.
func Admin() queue.Meta {
	return queue.Meta{Principal: &queue.Principal{Kind: "user", ID: "admin", Name: "Админ", Role: queue.RoleAdmin, Perms: queue.AllPerms()}}
}

// As returns a meta for a principal of role in office.
func As(id string, role queue.Role, office string) queue.Meta {
	return queue.Meta{Principal: &queue.Principal{Kind: "user", ID: id, Name: id, Role: role, Office: office, Perms: queue.RolePerms(role)}}
}

// Kiosk returns a meta for a kiosk device of office.
func Kiosk(office string) queue.Meta {
	return queue.Meta{Principal: &queue.Principal{Kind: "client", ID: "kiosk-1", Name: "Киоск", Client: queue.ClientKiosk,
		Office: office, Perms: queue.DevicePerms(queue.ClientKiosk)}}
}

// Office returns a small office "test": open 08:00–20:00 every day with a
// 13:00–14:00 break on Saturdays, services passport (П) and tax (Н) under a
// group, pension (С, limit 5), results desk (В) for purpose "result"; windows
// 1 and 2 serve passport (rank 1) and tax (rank 2), window 3 serves tax and
// pension, window 4 the results desk; categories veteran (level 1) and
// disabled (level 2).
func Office() queue.OfficeConfig {
	hours := queue.AllWeek(queue.DayHours{Open: "08:00", Close: "20:00"})
	hours.Sat.Breaks = []queue.Interval{{From: "13:00", To: "14:00"}}
	s := queue.DefaultSettings()
	s.PurposeServices = map[queue.Purpose]string{queue.PurposeResult: "results"}
	return queue.OfficeConfig{
		Office: queue.Office{ID: "test", Name: queue.Text{RU: "МФЦ Тестовый", EN: "Test centre"},
			TimeZone: "Europe/Moscow", Hours: hours, Settings: s, Active: true},
		Services: []queue.Service{
			{ID: "docs", Group: true, Name: queue.Text{RU: "Документы"}, Active: true},
			{ID: "passport", Parent: "docs", Name: queue.Text{RU: "Паспорт РФ", EN: "Passport"}, Prefix: "П", NormMinutes: 10, Active: true,
				Results: []queue.Result{{ID: "accepted", Name: queue.Text{RU: "Принято"}}, {ID: "refused", Name: queue.Text{RU: "Отказ"}}}},
			{ID: "tax", Parent: "docs", Name: queue.Text{RU: "Налоги"}, Prefix: "Н", NormMinutes: 15, Active: true},
			{ID: "pension", Name: queue.Text{RU: "Пенсии", EN: "Pensions"}, Prefix: "С", DailyLimit: 5, Active: true},
			{ID: "results", Name: queue.Text{RU: "Выдача результатов"}, Prefix: "В", Purposes: []queue.Purpose{queue.PurposeResult}, Active: true},
		},
		Windows: []queue.Window{
			{Number: 1, Services: []queue.WindowService{{Service: "passport", Rank: 1}, {Service: "tax", Rank: 2}}, Active: true},
			{Number: 2, Services: []queue.WindowService{{Service: "passport", Rank: 1}, {Service: "tax", Rank: 2}}, Active: true},
			{Number: 3, Services: []queue.WindowService{{Service: "tax", Rank: 1}, {Service: "pension", Rank: 1}}, Active: true},
			{Number: 4, Services: []queue.WindowService{{Service: "results", Rank: 1}}, Active: true},
		},
		Categories: []queue.Category{
			{ID: "veteran", Name: queue.Text{RU: "Ветеран"}, Level: 1, Active: true},
			{ID: "disabled", Name: queue.Text{RU: "Инвалид I группы"}, Level: 2, Active: true},
		},
	}
}

// MustSetup imports Office and operators op1…op4 (op<n> may sit at window n)
// and a manager into the engine.
func (e *Env) MustSetup() {
	e.tb.Helper()
	doc := queue.Document{Version: 1, Offices: []queue.OfficeConfig{Office()}, Users: []queue.User{
		{ID: "op1", Login: "op1", Name: "Оператор 1", Role: queue.RoleOperator, Office: "test", Active: true},
		{ID: "op2", Login: "op2", Name: "Оператор 2", Role: queue.RoleOperator, Office: "test", Active: true},
		{ID: "op3", Login: "op3", Name: "Оператор 3", Role: queue.RoleOperator, Office: "test", Active: true},
		{ID: "op4", Login: "op4", Name: "Оператор 4", Role: queue.RoleOperator, Office: "test", Active: true},
		{ID: "boss", Login: "boss", Name: "Начальник", Role: queue.RoleManager, Office: "test", Active: true},
	}}
	if _, err := e.Q.Import(context.Background(), Admin(), doc); err != nil {
		e.tb.Fatal(err)
	}
}

// MustTool returns the path of an external program a test needs (chromium,
// zbarimg, socat…). A missing tool fails the test, never skips it: the
// README and .ci/run install every one of them.
func MustTool(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s is needed by this test: apt-get install -y %s", name, debianPackage)
	}
	return p
}

// MustZbar writes img as a PNG and returns what Debian's zbarimg reads from
// it: an independent decoder for the QR codes and barcodes Talon draws.
func MustZbar(tb testing.TB, img image.Image) string {
	tb.Helper()
	bin := MustTool(tb, "zbarimg", "zbar-tools")
	path := filepath.Join(tb.TempDir(), "code.png")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(bin, "-q", "--raw", path)
	cmd.Stderr = &stderr // zbarimg may complain about D-Bus there
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("zbarimg %s: %v: %s", path, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
