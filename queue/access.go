package queue

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// This file holds the checks shared by commands: finding things in the
// writer's world and deciding whether the caller may work a window or a ticket.

// ticket returns the active ticket id and its office. A ticket that exists
// but is final gives ticket_wrong_state, an unknown one ticket_not_found.
func (c *txn) ticket(id string, act Action) (*Ticket, *officeState, error) {
	for _, os := range c.w.offices {
		if t := os.tickets[id]; t != nil {
			if p := c.principal(); p.Office != "" && p.Office != t.Office {
				return nil, nil, E(KindNotFound, CodeTicketNotFound, "id", id)
			}
			// Roll the day first: a ticket of yesterday is closed, not served today.
			if _, err := c.office(t.Office); err != nil {
				return nil, nil, err
			}
			if t = os.tickets[id]; t != nil {
				return t, os, nil
			}
			break
		}
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return nil, nil, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	old, err := c.q.store.Ticket(id)
	if errors.Is(err, ErrNotStored) {
		return nil, nil, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("queue: read ticket %s: %w", id, err)
	}
	if p := c.principal(); p.Office != "" && p.Office != old.Office {
		return nil, nil, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	return nil, nil, E(KindConflict, CodeTicketWrongState, "number", old.Number, "status", string(old.Status), "action", string(act))
}

// windowState returns the live state of window n (closed when never opened).
func (os *officeState) windowState(n int) *WindowState {
	if ws := os.windows[n]; ws != nil {
		return ws
	}
	return &WindowState{Office: os.cat.cfg.Office.ID, Number: n, Status: WindowClosed}
}

// window checks that window n exists and is active.
func (os *officeState) window(n int) (*Window, error) {
	w := os.cat.windows[n]
	if w == nil {
		return nil, E(KindNotFound, CodeWindowNotFound, "window", strconv.Itoa(n))
	}
	if !w.Active {
		return nil, E(KindConflict, CodeWindowInactive, "window", strconv.Itoa(n))
	}
	return w, nil
}

// atWindow checks that the caller works window n and returns its state. An
// operator who is not at the window yet sits down at it when claim is set
// (leaving another window they were at, if it is idle); staff and integrations
// may work any window and open a closed one for operator, or for themselves.
func (c *txn) atWindow(os *officeState, n int, claim bool, operator string) (*WindowState, error) {
	office := os.cat.cfg.Office.ID
	if err := c.require(PermOperate, office); err != nil {
		return nil, err
	}
	if _, err := os.window(n); err != nil {
		return nil, err
	}
	ws := os.windowState(n)
	p := c.principal()
	if p.Kind == "user" && p.Role == RoleOperator {
		if len(p.Windows) > 0 && !slices.Contains(p.Windows, n) {
			return nil, E(KindForbidden, CodeWindowNotYours, "window", strconv.Itoa(n))
		}
		if ws.Operator == p.ID {
			return ws, nil
		}
		if ws.Operator != "" {
			return nil, E(KindConflict, CodeWindowTaken, "window", strconv.Itoa(n), "operator", c.userName(ws.Operator))
		}
		if !claim {
			return nil, E(KindConflict, CodeNotAtWindow, "window", strconv.Itoa(n))
		}
		for num, other := range os.windows {
			if num != n && other.Operator == p.ID {
				if other.Ticket != "" {
					return nil, E(KindConflict, CodeWindowBusy, "window", strconv.Itoa(num), "number", os.numberOf(other.Ticket))
				}
				c.setWindow(os, &WindowState{Office: office, Number: num, Status: WindowClosed, Since: c.now}, EventWindowClosed, "")
			}
		}
		return c.setWindow(os, &WindowState{Office: office, Number: n, Status: WindowOpen, Operator: p.ID, Since: c.now}, EventWindowOpened, ""), nil
	}
	if ws.Status == WindowClosed && claim {
		if operator == "" {
			operator = p.ID
		}
		return c.setWindow(os, &WindowState{Office: office, Number: n, Status: WindowOpen, Operator: operator, Since: c.now}, EventWindowOpened, ""), nil
	}
	return ws, nil
}

// setWindow stages a new window state with its event and returns it.
func (c *txn) setWindow(os *officeState, ws *WindowState, typ EventType, reason string) *WindowState {
	c.put(windowChange{ws})
	c.emit(ws.Office, typ, func(e *Event) { e.Window = ws; e.Reason = reason })
	return ws
}

// mayTouch checks that the caller may act on ticket t: staff with queue:manage
// and integrations with queue:operate may act on any ticket; an operator on
// the tickets called to their window or bound to it.
func (c *txn) mayTouch(os *officeState, t *Ticket) error {
	p := c.principal()
	if c.require(PermManage, t.Office) == nil {
		return nil
	}
	if err := c.require(PermOperate, t.Office); err != nil {
		return err
	}
	if p.Kind != "user" {
		return nil
	}
	n := t.Window
	if n == 0 {
		n = t.BoundWindow
	}
	if n == 0 || os.windowState(n).Operator != p.ID {
		return E(KindForbidden, CodeTicketNotHere, "number", t.Number)
	}
	return nil
}

// userName returns the display name of a user id (the id when unknown).
func (c *txn) userName(id string) string {
	if u := c.w.users[id]; u != nil {
		return u.User.Name
	}
	return id
}

// numberOf returns the number of an active ticket.
func (os *officeState) numberOf(id string) string {
	if t := os.tickets[id]; t != nil {
		return t.Number
	}
	return id
}

// service returns an issuable, active service of the office.
func (os *officeState) service(id string) (*Service, error) {
	s := os.cat.services[id]
	if s == nil {
		return nil, E(KindNotFound, CodeServiceNotFound, "service", id)
	}
	if s.Group {
		return nil, E(KindInvalid, CodeServiceIsGroup, "service", s.Name.RU, "service_en", s.Name.EN)
	}
	if !s.Active {
		return nil, E(KindConflict, CodeServiceInactive, "service", s.Name.RU, "service_en", s.Name.EN)
	}
	return s, nil
}

// served checks that some active window calls service s.
func (os *officeState) served(s *Service) error {
	if len(os.cat.servedBy[s.ID]) == 0 {
		return E(KindConflict, CodeServiceNotServed, "service", s.Name.RU, "service_en", s.Name.EN)
	}
	return nil
}
