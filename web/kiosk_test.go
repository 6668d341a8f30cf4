package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
)

// screen waits until the kiosk shows the named screen.
func (b *browser) screen(name string) {
	b.t.Helper()
	b.wait("the "+name+" screen", fmt.Sprintf(`window.talonKiosk && window.talonKiosk.screen === %q && !document.getElementById("screen-%s").hidden`,
		name, name), 20*time.Second)
}

// tap clicks the visible button whose text contains label, as a finger would.
func (b *browser) tap(label string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.Search(fmt.Sprintf(`//*[not(ancestor-or-self::*[@hidden])]/button[contains(normalize-space(.), %q)]`, label))))
}

// text returns the text of the element with id.
func (b *browser) text(id string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.getElementById(%q).textContent`, id), &s)
	return s
}

// pageErrors are the page's errors, except the answers of the server the
// kiosk expects (a printer out of paper is a 409, a stopped server refuses).
func (b *browser) pageErrors() []string {
	var out []string
	for _, e := range b.errors() {
		if !strings.Contains(e, "Failed to load resource") {
			out = append(out, e)
		}
	}
	return out
}

// reachable checks that the element with id is on screen and nothing
// covers it: a finger can press it.
func (b *browser) reachable(id string) {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); const r = e.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight && r.height >= 48 &&
			e.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)) &&
			e.contains(document.elementFromPoint(r.left + r.width / 2, r.bottom - 2)); })()`, id), &ok)
	if !ok {
		b.screenshot("unreachable-" + id)
		b.t.Errorf("#%s cannot be pressed: off screen or covered", id)
	}
}

// kioskTicket is window.talonKiosk.ticket.
func (b *browser) kioskTicket() queue.TicketView {
	b.t.Helper()
	var v queue.TicketView
	b.eval(`window.talonKiosk.ticket`, &v)
	return v
}

// lowReach checks that every control shown is in the lower part of the screen.
func (b *browser) lowReach(when string) {
	b.t.Helper()
	var high []string
	b.eval(`Array.from(document.querySelectorAll("button, input")).filter(e => e.offsetParent !== null)
		.filter(e => e.getBoundingClientRect().top < 0.38 * innerHeight)
		.map(e => (e.id || e.textContent.trim()) + " at " + Math.round(e.getBoundingClientRect().top))`, &high)
	if len(high) > 0 {
		b.t.Errorf("low-reach layout (%s): controls in the upper part: %v", when, high)
	}
}

func TestKioskIssuesAndPrints(t *testing.T) {
	s := mustServer(t)
	p := mustFakePrinter(t)
	s.setPrinter("kiosk-1", &queue.PrinterConfig{Profile: "generic-escpos-80", Address: "tcp://" + p.addr})
	b := mustBrowser(t)
	b.do(chromedp.EmulateViewport(1080, 1920))

	// The device token comes once, in the fragment, and is kept.
	b.do(chromedp.Navigate(s.URL + "/kiosk#token=" + s.Kiosk))
	b.screen("start")
	var href, stored string
	b.eval(`location.href`, &href)
	b.eval(`localStorage.getItem("talon.kiosk.token")`, &stored)
	if strings.Contains(href, "token") || stored != s.Kiosk {
		t.Fatalf("href %s, token stored %t", href, stored == s.Kiosk)
	}
	b.wait("the office name", `document.getElementById("office").textContent === "МФЦ Тестовый"`, 5*time.Second)
	b.wait("the clock at server time", `document.getElementById("clock").textContent === "10:00"`, 5*time.Second)
	b.screenshot("kiosk-start")
	b.axe("kiosk start")

	// Service tree: group, then service; then the category question.
	b.tap("Получить талон")
	b.screen("services")
	b.axe("service tree")
	b.tap("Документы")
	b.wait("the group's services", `document.querySelectorAll("#services button").length === 2`, 5*time.Second)
	b.tap("Паспорт РФ")
	b.screen("category")
	if doc := b.text("categories"); !strings.Contains(doc, "Ветеран") || !strings.Contains(doc, "Нет, в общую очередь") {
		t.Errorf("categories %q", doc)
	}
	b.axe("categories")
	b.tap("Нет, в общую очередь")

	// The ticket: number, nobody ahead; printed and confirmed.
	b.screen("ticket")
	b.wait("the printed ticket", `window.talonKiosk.print && window.talonKiosk.print.printed`, 20*time.Second)
	v := b.kioskTicket()
	if got := b.text("ticket-number"); got != v.Number || !strings.HasPrefix(got, "П") {
		t.Fatalf("number shown %q, ticket %+v", got, v)
	}
	if ahead, svc, st := b.text("ticket-ahead"), b.text("ticket-service"), b.text("print-state"); ahead != "никого" || svc != "Паспорт РФ" || st != "Возьмите талон" {
		t.Errorf("ahead %q, service %q, print %q", ahead, svc, st)
	}
	var api queue.TicketView
	if st := s.as(s.APIKey).do("GET", "/api/v1/tickets/"+v.ID, nil, &api); st != 200 || api.Status != queue.StatusWaiting ||
		api.Source != queue.SourceKiosk || !api.Printed || api.Number != v.Number {
		t.Fatalf("the API shows %d %+v", st, api.Ticket)
	}
	if text := cp866(t, p.nextJob()); !strings.Contains(text, v.Number) || !strings.Contains(text, "/t/"+v.Code) {
		t.Errorf("printed %q", text)
	}
	b.screenshot("kiosk-ticket")
	b.reachable("ticket-done")
	b.axe("ticket printed")
	b.tap("Готово")
	b.screen("start")

	// The roll runs out: the ticket is still issued, the screen shows its
	// QR code and offers the browser's print; the journal and the managers
	// know.
	p.paperOut.Store(true)
	b.tap("Получить талон")
	b.screen("services")
	b.do(chromedp.SendKeys(chromedp.CSS("#search"), "налог"))
	b.wait("the search result", `document.querySelectorAll("#services button").length === 1`, 5*time.Second)
	b.tap("Налоги")
	b.screen("category")
	b.tap("Нет, в общую очередь")
	b.screen("ticket")
	b.wait("the failed print", `window.talonKiosk.print && window.talonKiosk.print.printed === false`, 20*time.Second)
	b.wait("the QR code", `!document.getElementById("ticket-qr").hidden && document.getElementById("ticket-qr").src.startsWith("data:image/svg+xml")
		&& document.getElementById("ticket-qr").complete && document.getElementById("ticket-qr").naturalWidth > 0`, 10*time.Second)
	w := b.kioskTicket()
	var code string
	b.eval(`window.talonKiosk.print.code`, &code)
	if st := b.text("print-state"); code != kiosk.CodePrinterPaperOut || !strings.Contains(st, "Талон не напечатан") || !strings.Contains(st, "закончилась бумага") {
		t.Errorf("print code %q, state %q", code, st)
	}
	p.noJob()
	if evs := s.printEvents(w.ID); len(evs) != 1 || evs[0].Print.OK || evs[0].Print.Problem != kiosk.CodePrinterPaperOut || evs[0].Ticket.Printed {
		t.Errorf("print events %+v", evs)
	}
	if ps := s.printers(""); len(ps) != 1 || ps[0].Problem != kiosk.CodePrinterPaperOut {
		t.Errorf("managers see %+v", ps)
	}
	b.screenshot("kiosk-paper-out")
	for _, id := range []string{"ticket-done", "print-retry", "print-browser"} {
		b.reachable(id)
	}
	b.axe("print failed")
	b.do(chromedp.EmulateViewport(1920, 1080)) // a landscape kiosk
	for _, id := range []string{"ticket-done", "print-retry", "print-browser", "ticket-qr"} {
		b.reachable(id)
	}
	b.screenshot("kiosk-paper-out-landscape")
	b.do(chromedp.EmulateViewport(1080, 1920))

	// The browser prints the ticket with the print style sheet.
	b.eval(`(() => { window.__printed = 0; window.print = () => { window.__printed++; }; return true; })()`, nil)
	b.tap("Печать через браузер")
	var printed int
	b.eval(`window.__printed`, &printed)
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	var layout struct {
		App    string `json:"app"`
		Paper  string `json:"paper"`
		Number string `json:"number"`
		QR     bool   `json:"qr"`
	}
	b.eval(`({app: getComputedStyle(document.getElementById("app")).display, paper: getComputedStyle(document.getElementById("paper")).display,
		number: document.getElementById("paper-number").textContent, qr: document.getElementById("paper-qr").src.startsWith("data:image/svg")})`, &layout)
	if printed != 1 || layout.App != "none" || layout.Paper != "block" || layout.Number != w.Number || !layout.QR {
		t.Errorf("browser print: called %d times, layout %+v", printed, layout)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}

	// A new roll: printing again works.
	p.paperOut.Store(false)
	b.tap("Напечатать ещё раз")
	b.wait("the reprint", `window.talonKiosk.print && window.talonKiosk.print.printed`, 20*time.Second)
	p.nextJob()
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestKioskProblemScreens(t *testing.T) {
	s := mustServer(t)
	b := mustBrowser(t)
	b.do(chromedp.Navigate(s.URL + "/kiosk?idle=5#token=" + s.Kiosk))
	b.screen("start")

	// Without a printer the kiosk says so and shows the QR code at once.
	b.tap("Получить талон")
	b.tap("Пенсии")
	b.tap("Нет, в общую очередь")
	b.screen("ticket")
	b.wait("no printer", `window.talonKiosk.print && window.talonKiosk.print.code === "printer_not_configured"`, 10*time.Second)
	b.wait("the QR code", `!document.getElementById("ticket-qr").hidden`, 10*time.Second)
	if st := b.text("print-state"); st != "Этот киоск не печатает талоны" {
		t.Errorf("print state %q", st)
	}
	b.tap("Готово")
	b.screen("start")

	// The daily limit of a service is used up.
	for range 4 {
		s.issue("pension")
	}
	b.tap("Получить талон")
	b.tap("Пенсии")
	b.tap("Нет, в общую очередь")
	b.screen("problem")
	if title, text := b.text("problem-title"), b.text("problem-text"); title != "Талоны на сегодня закончились" || !strings.Contains(text, "Пенсии") {
		t.Errorf("daily limit: %q / %q", title, text)
	}
	b.screenshot("kiosk-daily-limit")
	b.axe("daily limit")

	// Left alone, the kiosk returns to the start.
	var resets int
	b.eval(`window.talonKiosk.resets`, &resets)
	b.wait("the idle reset", fmt.Sprintf(`window.talonKiosk.resets > %d && window.talonKiosk.screen === "start"`, resets), 15*time.Second)

	// After hours: the office is closed, and says when it opens.
	s.env.Clock.Set(time.Date(2026, 11, 24, 21, 0, 0, 0, msk))
	b.tap("Получить талон")
	b.tap("Документы")
	b.tap("Паспорт РФ")
	b.tap("Нет, в общую очередь")
	b.screen("problem")
	if title, more := b.text("problem-title"), b.text("problem-more"); title != "Офис закрыт" || more != "Приём начнётся 25.11 08:00" {
		t.Errorf("office closed: %q / %q", title, more)
	}
	b.axe("office closed")
	b.tap("На главный экран")
	b.screen("start")
	s.env.Clock.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, msk))

	// The server goes away: a clear screen, no error page; back by itself.
	b.tap("Получить талон")
	b.tap("Документы")
	s.stop()
	b.tap("Паспорт РФ")
	b.tap("Нет, в общую очередь")
	b.screen("offline")
	if title := b.text("offline-title"); title != "Нет связи с сервером" {
		t.Errorf("offline title %q", title)
	}
	b.screenshot("kiosk-offline")
	b.axe("server unreachable")
	s.start()
	b.screen("start")
	b.tap("Получить талон")
	b.tap("Документы")
	b.tap("Паспорт РФ")
	b.tap("Нет, в общую очередь")
	b.screen("ticket")
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestKioskCheckInAndSettings(t *testing.T) {
	s := mustServer(t)
	api := s.as(s.APIKey)
	book := func(minutes int) queue.Booking {
		var bk queue.Booking
		if st := api.do("POST", "/api/v1/offices/test/bookings", map[string]any{"service": "tax",
			"at": s.env.Clock.Now().Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)}, &bk); st != 201 {
			t.Fatalf("book: %d", st)
		}
		return bk
	}
	first, second := book(10), book(20)
	// The passport desk takes documents and gives results: the kiosk asks which.
	var svc queue.Service
	for _, x := range queuetest.Office().Services {
		if x.ID == "passport" {
			svc = x
		}
	}
	admin := s.login("root")
	svc.Purposes = []queue.Purpose{queue.PurposeSubmit, queue.PurposeResult}
	if st, b := admin.raw("PUT", "/api/v1/offices/test/services/passport", svc, nil); st != 200 {
		t.Fatalf("purposes: %d %s", st, b)
	}
	b := mustBrowser(t)
	b.do(chromedp.Navigate(s.URL + "/kiosk?idle=30#token=" + s.Kiosk))
	b.screen("start")

	// The code typed on the pad.
	b.tap("Я записан(а) заранее")
	b.screen("checkin")
	b.axe("check-in")
	for _, d := range first.Code {
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#keypad [data-digit="%c"]`, d))))
	}
	b.do(chromedp.Click(chromedp.CSS("#code-erase")))
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#keypad [data-digit="%c"]`, first.Code[len(first.Code)-1]))))
	b.tap("Продолжить")
	b.screen("ticket")
	if v := b.kioskTicket(); v.Booking != first.ID || v.Source != queue.SourceBooking || b.text("ticket-number") != v.Number {
		t.Fatalf("checked in %+v", v)
	}
	b.tap("Готово")
	b.screen("start")

	// The code read by a scanner under the Russian layout: the letter of
	// the code comes out Cyrillic and is ignored, the digits and Enter
	// arrive within milliseconds, on whatever screen is shown.
	b.do(chromedp.KeyEvent("Ф" + second.Code + "\r"))
	b.screen("ticket")
	if v := b.kioskTicket(); v.Booking != second.ID {
		t.Fatalf("scanned check-in %+v", v)
	}
	b.tap("Готово")
	b.screen("start")

	// A code used twice is refused with a reason.
	b.tap("Я записан(а) заранее")
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), first.Code+"\r"))
	b.screen("problem")
	if title, text := b.text("problem-title"), b.text("problem-text"); title != "Запись не принята" || text != "Эта запись уже использована" {
		t.Errorf("used code: %q / %q", title, text)
	}
	b.tap("На главный экран")
	b.screen("start")

	// English, large text with high contrast, and the low-reach layout.
	b.tap("English")
	b.wait("English", `document.documentElement.lang === "en" && document.getElementById("start-title").textContent === "Welcome!"`, 5*time.Second)
	b.tap("Large text")
	b.tap("Buttons lower")
	b.wait("both modes", `document.body.classList.contains("a11y") && document.body.classList.contains("low")`, 5*time.Second)
	b.lowReach("start")
	b.screenshot("kiosk-a11y-low")
	b.do(chromedp.EmulateViewport(1080, 1920)) // a portrait kiosk, the tall kind
	b.lowReach("start, portrait")
	b.screenshot("kiosk-a11y-low-portrait")
	b.axe("English, large text, low reach")
	b.tap("Get a ticket")
	b.screen("services")
	b.tap("Документы")
	b.wait("English service names", `document.getElementById("services").textContent.includes("Passport")`, 5*time.Second)
	b.lowReach("services")
	b.screenshot("kiosk-a11y-low-services")
	b.axe("services in the accessible mode")
	b.tap("Passport")
	b.screen("purpose")
	b.lowReach("purposes")
	b.axe("purposes")
	b.tap("Collect the result")
	b.screen("category")
	b.lowReach("categories")
	b.tap("No, the general queue")
	b.screen("ticket")
	if v := b.kioskTicket(); v.Purpose != queue.PurposeResult || v.Service != "passport" {
		t.Errorf("ticket %+v, want passport for a result", v.Ticket)
	}
	if st := b.text("print-state"); st != "This kiosk does not print tickets" {
		t.Errorf("English print state %q", st)
	}

	// The next visitor starts from the defaults.
	b.tap("Done")
	b.screen("start")
	var lang string
	var a11y, low bool
	b.eval(`document.documentElement.lang`, &lang)
	b.eval(`document.body.classList.contains("a11y")`, &a11y)
	b.eval(`document.body.classList.contains("low")`, &low)
	if lang != "ru" || a11y || low || b.text("start-title") != "Добро пожаловать!" {
		t.Errorf("after the visitor left: lang %s, a11y %t, low %t", lang, a11y, low)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

// msk is the time zone of the test office.
var msk = queuetest.Start.Location()
