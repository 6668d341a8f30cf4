package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// get fetches a page and returns its status, body and a header.
func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b), res.Header
}

func TestLiveTicketPage(t *testing.T) {
	s := mustServer(t)
	s.issue("passport")
	v := s.kioskIssue("passport")
	page := s.URL + "/t/" + v.Code

	// Light for a poor link: the first answer already holds the place in
	// the queue; the script and style are a few kilobytes, cached for good.
	st, html, hdr := get(t, page)
	if st != 200 || !strings.Contains(html, v.Number) || !strings.Contains(html, "Перед вами: 1 чел.") ||
		!strings.Contains(html, "Ожидайте вызова") || hdr.Get("X-Robots-Tag") == "" || strings.Contains(hdr.Get("Content-Security-Policy"), "unsafe") {
		t.Fatalf("page %d %v:\n%s", st, hdr, html)
	}
	size := len(html)
	for _, asset := range []string{"js/ticket.js", "css/ticket.css"} {
		i := strings.Index(html, "/static/")
		hash := strings.Split(html[i:], "/")[2]
		_, b, _ := get(t, s.URL+"/static/"+hash+"/"+asset)
		size += len(b)
	}
	t.Logf("the page with its script and style: %d bytes", size)
	if size > 20<<10 {
		t.Errorf("the page with its script and style is %d bytes, want under 20 KiB", size)
	}

	b := mustBrowser(t)
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.do(chromedp.Navigate(page + "?poll=1&lang=ru"))
	b.wait("the script", `window.talonTicket && window.talonTicket.status === "waiting"`, 10*time.Second)
	if ahead, number := b.text("ahead"), b.text("number"); ahead != "Перед вами: 1 чел." || number != v.Number {
		t.Errorf("ahead %q, number %q", ahead, number)
	}
	// Nothing changed: the polls are answered 304.
	b.wait("a 304", `window.talonTicket.notModified >= 1`, 10*time.Second)
	b.screenshot("ticket-waiting")
	b.axe("live ticket, waiting")

	// A tap lets the page sound and vibrate when the ticket is called.
	b.wait("the sound button", `!document.getElementById("sound").hidden`, 5*time.Second)
	b.do(chromedp.Click(chromedp.CSS("#sound")))
	b.wait("sound on", `window.talonTicket.sound && document.getElementById("sound").hidden`, 5*time.Second)

	s.callNext(1) // the one ahead
	b.wait("next", `document.getElementById("ahead").textContent === "Вы следующий"`, 10*time.Second)
	call := s.callNext(2)
	if call.Ticket.ID != v.ID {
		t.Fatalf("called %s, want %s", call.Ticket.Number, v.Number)
	}
	b.wait("the window", `!document.getElementById("window").hidden && document.getElementById("window-number").textContent === "2"
		&& document.body.classList.contains("status-called")`, 10*time.Second)
	var alerted struct {
		Chimes     int `json:"chimes"`
		Vibrations int `json:"vibrations"`
	}
	b.eval(`({chimes: window.talonTicket.chimes, vibrations: window.talonTicket.vibrations})`, &alerted)
	if alerted.Chimes != 1 || alerted.Vibrations != 1 {
		t.Errorf("on the call: %+v, want one chime and one vibration", alerted)
	}
	if st := b.text("state-text"); st != "Вас вызывают! Пройдите к окну" || b.text("ahead") != "" {
		t.Errorf("called: %q, ahead %q", st, b.text("ahead"))
	}
	b.screenshot("ticket-called")
	b.axe("live ticket, called")

	// A recall alerts again.
	if st := s.as(s.APIKey).do("POST", "/api/v1/tickets/"+v.ID+"/recall", nil, nil); st != 200 {
		t.Fatalf("recall: %d", st)
	}
	b.wait("the recall", `window.talonTicket.chimes === 2`, 10*time.Second)

	// Served: the page says so and stops asking.
	if st := s.as(s.APIKey).do("POST", "/api/v1/tickets/"+v.ID+"/finish", map[string]string{"result": "accepted"}, nil); st != 200 {
		t.Fatalf("finish: %d", st)
	}
	b.wait("done", `window.talonTicket.status === "done" && document.getElementById("state-text").textContent === "Обслуживание завершено. Спасибо!"`, 10*time.Second)
	var polls int
	b.eval(`window.talonTicket.polls`, &polls)
	time.Sleep(2500 * time.Millisecond) // the page's own timer, in real time: would it poll again?
	var after int
	b.eval(`window.talonTicket.polls`, &after)
	if after != polls {
		t.Errorf("the page polls a finished ticket: %d → %d", polls, after)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestLiveTicketPageLanguagesAndUnknownCodes(t *testing.T) {
	s := mustServer(t)
	v := s.kioskIssue("passport")
	call := s.callNext(1)
	if call.Ticket.ID != v.ID {
		t.Fatal("another ticket was called")
	}
	st, html, _ := get(t, s.URL+"/t/"+v.Code+"?lang=en")
	if st != 200 || !strings.Contains(html, `lang="en"`) || !strings.Contains(html, "Please go to window") ||
		!strings.Contains(html, `<span id="window-number" class="window-number">1</span>`) || !strings.Contains(html, "Passport") {
		t.Errorf("English page %d:\n%s", st, html)
	}
	for _, code := range []string{v.Code[:len(v.Code)-1] + "x", "nothing", v.ID} {
		if st, html, _ := get(t, s.URL+"/t/"+code); st != 404 || !strings.Contains(html, "Талон не найден") || strings.Contains(html, v.Number) {
			t.Errorf("code %q: %d", code, st)
		}
	}
	b := mustBrowser(t)
	b.do(chromedp.Navigate(s.URL + "/t/nothing"))
	b.wait("the page", `document.querySelector("h1") !== null`, 5*time.Second)
	b.axe("unknown ticket")
	b.do(chromedp.Navigate(s.URL + "/t/" + v.Code + "?lang=en"))
	b.wait("the script", `window.talonTicket && window.talonTicket.status === "called"`, 10*time.Second)
	b.axe("English, called")
}
