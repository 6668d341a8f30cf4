package queue

import (
	"encoding/json"
	"fmt"
	"time"
)

// Window is a service point (окно, кабинет) and the services it serves, each
// with a rank: rank 1 are its main services, higher ranks are called only when
// they outweigh the main ones (see Settings.RankWeight).
type Window struct {
	Number   int             `json:"number" doc:"window number shown on boards and announced"`
	Name     Text            `json:"name,omitempty" doc:"label, e.g. Окно 5; the number is used when empty"`
	Services []WindowService `json:"services"`
	Active   bool            `json:"active"`
}

// WindowService is one service of a window with its rank (1 is the highest).
// A group id stands for every service under it.
type WindowService struct {
	Service string `json:"service"`
	Rank    int    `json:"rank" doc:"1 for main services, up to 9"`
}

// UnmarshalJSON makes a window active unless the document says otherwise.
func (w *Window) UnmarshalJSON(b []byte) error {
	type plain Window
	p := plain{Active: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	for i := range p.Services {
		if p.Services[i].Rank == 0 {
			p.Services[i].Rank = 1
		}
	}
	*w = Window(p)
	return nil
}

// Validate checks the window on its own.
func (w *Window) Validate() error {
	if w.Number < 1 || w.Number > 9999 {
		return Invalid("number", RuleRange, "min", "1", "max", "9999")
	}
	if err := w.Name.validate("name", false); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, s := range w.Services {
		f := fmt.Sprintf("services[%d]", i)
		if err := validID(f+".service", s.Service); err != nil {
			return err
		}
		if seen[s.Service] {
			return Invalid(f+".service", RuleDup)
		}
		seen[s.Service] = true
		if s.Rank < 1 || s.Rank > 9 {
			return Invalid(f+".rank", RuleRange, "min", "1", "max", "9")
		}
	}
	return nil
}

// WindowStatus is what a window is doing now.
type WindowStatus string

// The window statuses.
const (
	WindowClosed WindowStatus = "closed" // nobody is at the window
	WindowOpen   WindowStatus = "open"   // an operator is at the window
	WindowBreak  WindowStatus = "break"  // the operator is on a break
)

// WindowState is the live state of a window: who is there and whom they serve.
type WindowState struct {
	Office   string       `json:"office"`
	Number   int          `json:"number"`
	Status   WindowStatus `json:"status"`
	Operator string       `json:"operator,omitempty" doc:"id of the operator at the window"`
	Ticket   string       `json:"ticket,omitempty" doc:"id of the ticket called to or served at the window"`
	Since    time.Time    `json:"since" doc:"when the status last changed"`
	Reason   string       `json:"reason,omitempty" doc:"break reason"`
}
