package queue

import "time"

// BookingStatus is where a pre-booking is in its life.
type BookingStatus string

// The booking statuses.
const (
	BookingBooked    BookingStatus = "booked"     // waiting for the visitor
	BookingCheckedIn BookingStatus = "checked_in" // the visitor came and got a ticket
	BookingCancelled BookingStatus = "cancelled"
	BookingMissed    BookingStatus = "missed" // the check-in window passed
)

// Booking is a pre-booked visit (предварительная запись), made by an external
// system (a portal, the АИС МФЦ) or by staff. The visitor checks in at a kiosk
// with Code and gets a ticket that is called by its appointment time.
type Booking struct {
	ID       string        `json:"id"`
	Office   string        `json:"office"`
	Service  string        `json:"service"`
	Purpose  Purpose       `json:"purpose,omitempty"`
	Category string        `json:"category,omitempty"`
	At       time.Time     `json:"at" doc:"appointment time"`
	Day      string        `json:"day" doc:"local date of the appointment"`
	Code     string        `json:"code,omitempty" doc:"random numeric check-in code, typed or scanned at the kiosk"`
	Name     string        `json:"name,omitempty" doc:"applicant's name"`
	Phone    string        `json:"phone,omitempty"`
	CaseID   string        `json:"case_id,omitempty"`
	Status   BookingStatus `json:"status"`
	Ticket   string        `json:"ticket,omitempty" doc:"id of the ticket issued at check-in"`
	Created  time.Time     `json:"created"`
	By       string        `json:"by" doc:"who booked"`
}
