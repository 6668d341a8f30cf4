package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// BookRequest pre-books a visit (function 1, external pre-booking).
type BookRequest struct {
	Service  string    `json:"service"`
	Purpose  Purpose   `json:"purpose,omitempty"`
	Category string    `json:"category,omitempty"`
	At       time.Time `json:"at" doc:"appointment time (RFC 3339)"`
	Name     string    `json:"name,omitempty" doc:"applicant's name"`
	Phone    string    `json:"phone,omitempty"`
	CaseID   string    `json:"case_id,omitempty"`
}

type bookCmd struct {
	Office string
	Req    BookRequest
}

// Book makes a pre-booking and returns it with its random check-in code. The
// time must fall in the service's hours, within 60 days; the service's daily
// limit counts bookings, and a slot holds as many bookings as windows serve
// the service. Returns slot_unavailable, daily_limit_reached, office_closed,
// service_closed, service_on_break and the service errors of Issue.
func (q *Queue) Book(ctx context.Context, m Meta, office string, r BookRequest) (Booking, error) {
	return run[Booking](ctx, q, m, bookCmd{office, r})
}

func (x bookCmd) run(c *txn) (any, error) {
	if err := c.require(PermBook, x.Office); err != nil {
		return nil, err
	}
	os, err := c.office(x.Office)
	if err != nil {
		return nil, err
	}
	r := x.Req
	if r.Service == "" {
		return nil, Invalid("service", RuleRequired)
	}
	s, err := os.service(r.Service)
	if err != nil {
		return nil, err
	}
	if r.Purpose != "" && !r.Purpose.valid() {
		return nil, Invalid("purpose", RuleValue)
	}
	if !s.Accepts(r.Purpose) {
		return nil, E(KindConflict, CodePurposeNotServed, "purpose", string(r.Purpose), "service", s.Name.RU, "service_en", s.Name.EN)
	}
	if err := os.served(s); err != nil {
		return nil, err
	}
	if r.Category != "" {
		if k := os.cat.categories[r.Category]; k == nil || !k.Active {
			return nil, E(KindNotFound, CodeCategoryNotFound, "category", r.Category)
		}
	}
	if r.At.IsZero() {
		return nil, Invalid("at", RuleRequired)
	}
	if !r.At.After(c.now) || r.At.After(c.now.AddDate(0, 0, 60)) {
		return nil, Invalid("at", RuleRange)
	}
	if utf8.RuneCountInString(r.Name) > 200 {
		return nil, Invalid("name", RuleTooLong, "max", "200")
	}
	if utf8.RuneCountInString(r.CaseID) > 64 {
		return nil, Invalid("case_id", RuleTooLong, "max", "64")
	}
	phone, err := normPhone(r.Phone)
	if err != nil {
		return nil, err
	}
	if err := os.open(s, r.At); err != nil {
		return nil, err
	}
	day := os.localDay(r.At)
	if s.DailyLimit > 0 {
		n := c.w.booked(os, s.ID, day)
		if day == os.rt.Day {
			n += os.rt.Issued[s.ID]
		}
		if n >= s.DailyLimit {
			return nil, E(KindConflict, CodeDailyLimit, "service", s.Name.RU, "service_en", s.Name.EN, "limit", fmt.Sprint(s.DailyLimit))
		}
	}
	slot := time.Duration(s.Norm()) * time.Minute
	taken := 0
	for _, b := range c.w.bookings {
		if b.Office == x.Office && b.Service == s.ID && b.At.After(r.At.Add(-slot)) && b.At.Before(r.At.Add(slot)) {
			taken++
		}
	}
	if taken >= len(os.cat.servedBy[s.ID]) {
		return nil, E(KindConflict, CodeSlotUnavailable, "service", s.Name.RU, "service_en", s.Name.EN, "at", r.At.In(os.cat.loc).Format("02.01 15:04"))
	}
	code := ""
	for code == "" || c.w.bookingCodes[code] != "" {
		code = randomDigits(10)
	}
	b := &Booking{ID: c.newTicketID(), Office: x.Office, Service: s.ID, Purpose: r.Purpose, Category: r.Category,
		At: r.At.UTC(), Day: day, Code: code, Name: strings.TrimSpace(r.Name), Phone: phone, CaseID: r.CaseID,
		Status: BookingBooked, Created: c.now, By: c.principal().ID}
	c.put(bookingChange{b})
	c.emit(x.Office, EventBookingCreated, func(e *Event) { e.Booking = b })
	return *b, nil
}

// randomDigits returns n random decimal digits (barcodes carry digits only:
// scanners type scancodes, and a Russian layout turns letters Cyrillic).
func randomDigits(n int) string {
	var b strings.Builder
	ten := big.NewInt(10)
	for range n {
		d, _ := rand.Int(rand.Reader, ten)
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

type cancelBookingCmd struct {
	ID string
}

// CancelBooking cancels a booking that was not yet checked in. Returns
// booking_not_found or booking_used.
func (q *Queue) CancelBooking(ctx context.Context, m Meta, id string) (Booking, error) {
	return run[Booking](ctx, q, m, cancelBookingCmd{id})
}

func (x cancelBookingCmd) run(c *txn) (any, error) {
	b := c.w.bookings[x.ID]
	if b == nil {
		old, err := c.q.store.Booking(x.ID)
		if errors.Is(err, ErrNotStored) || (err == nil && c.require(PermBook, old.Office) != nil) {
			return nil, E(KindNotFound, CodeBookingNotFound, "id", x.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("queue: read booking %s: %w", x.ID, err)
		}
		return nil, E(KindConflict, CodeBookingUsed, "status", string(old.Status))
	}
	if err := c.require(PermBook, b.Office); err != nil {
		return nil, E(KindNotFound, CodeBookingNotFound, "id", x.ID)
	}
	n := *b
	n.Status = BookingCancelled
	c.put(bookingChange{&n})
	c.emit(b.Office, EventBookingCancelled, func(e *Event) { e.Booking = &n })
	return n, nil
}

type checkInCmd struct {
	Office string
	Code   string
}

// CheckIn turns a booking into a ticket when the visitor arrives, from
// checkin_early_minutes before the appointment to checkin_late_minutes after.
// The ticket stands in the queue from the appointment time and gains the
// booking weight once that time has come. Returns booking_not_found,
// booking_too_early, booking_too_late and the errors of Issue.
func (q *Queue) CheckIn(ctx context.Context, m Meta, office, code string) (TicketView, error) {
	return run[TicketView](ctx, q, m, checkInCmd{office, code})
}

func (x checkInCmd) run(c *txn) (any, error) {
	if err := c.require(PermIssue, x.Office); err != nil {
		return nil, err
	}
	os, err := c.office(x.Office)
	if err != nil {
		return nil, err
	}
	code := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, x.Code)
	b := c.w.bookings[c.w.bookingCodes[code]]
	if u := c.w.usedCodes[code]; b == nil && u != nil && u.Office == x.Office {
		return nil, E(KindConflict, CodeBookingUsed, "status", string(u.Status))
	}
	if code == "" || b == nil || b.Office != x.Office {
		return nil, E(KindNotFound, CodeBookingNotFound, "code", x.Code)
	}
	st := &os.cat.cfg.Office.Settings
	if from := b.At.Add(-time.Duration(st.CheckinEarlyMinutes) * time.Minute); c.now.Before(from) {
		return nil, E(KindConflict, CodeBookingTooEarly, "from", from.In(os.cat.loc).Format("15:04"))
	}
	if c.now.After(b.At.Add(time.Duration(st.CheckinLateMinutes) * time.Minute)) {
		return nil, E(KindConflict, CodeBookingTooLate, "at", b.At.In(os.cat.loc).Format("15:04"))
	}
	t, err := c.newTicket(os, IssueRequest{Service: b.Service, Purpose: b.Purpose, Category: b.Category,
		CaseID: b.CaseID, Phone: b.Phone}, SourceBooking, b.At)
	if err != nil {
		return nil, err
	}
	n := *b
	n.Status = BookingCheckedIn
	v := c.issue(os, t, &n)
	n.Ticket = t.ID
	c.put(bookingChange{&n})
	c.emit(b.Office, EventBookingUsed, func(e *Event) { e.Booking = &n; e.Ticket = t })
	return v, nil
}
