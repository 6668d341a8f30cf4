package queue

import (
	"slices"
	"time"
)

// Action is something done to a ticket.
type Action string

// The ticket actions.
const (
	ActCall     Action = "call"
	ActRecall   Action = "recall"
	ActStart    Action = "start"
	ActPostpone Action = "postpone"
	ActReturn   Action = "return" // a postponed ticket's time is up
	ActFinish   Action = "finish"
	ActRedirect Action = "redirect"
	ActBind     Action = "bind"
	ActNoShow   Action = "no_show"
	ActCancel   Action = "cancel"
	ActClose    Action = "close" // the day closed
)

// Actions lists every action.
func Actions() []Action {
	return []Action{ActCall, ActRecall, ActStart, ActPostpone, ActReturn, ActFinish,
		ActRedirect, ActBind, ActNoShow, ActCancel, ActClose}
}

// transitions is the state machine: the statuses each action may start from.
var transitions = map[Action][]Status{
	ActCall:     {StatusWaiting, StatusPostponed},
	ActRecall:   {StatusCalled},
	ActStart:    {StatusCalled},
	ActPostpone: {StatusCalled, StatusServing},
	ActReturn:   {StatusPostponed},
	ActFinish:   {StatusCalled, StatusServing},
	ActRedirect: {StatusWaiting, StatusCalled, StatusServing, StatusPostponed},
	ActBind:     {StatusWaiting, StatusPostponed},
	ActNoShow:   {StatusCalled},
	ActCancel:   {StatusWaiting, StatusCalled, StatusPostponed},
	ActClose:    {StatusWaiting, StatusCalled, StatusServing, StatusPostponed},
}

// Allowed reports whether action a may be applied to a ticket in status s.
func Allowed(s Status, a Action) bool { return slices.Contains(transitions[a], s) }

// op is one action with its arguments.
type op struct {
	act       Action
	window    int       // call: the window; redirect/bind: the target window (0 for none)
	operator  string    // call: the operator
	by        string    // redirect: who
	until     time.Time // postpone
	service   string    // redirect: target service
	keepPlace bool      // redirect
	back      bool      // redirect: come back to the current service afterwards
	result    string    // finish
	comment   string    // finish
	next      []string  // finish: services to go on to, before the planned steps
	reason    string    // cancel, close, redirect
	recallMax int       // recall: the office's recall limit (0 = none)
}

// apply is the pure transition function: the ticket after op at now, or an
// error when the status does not allow the action. It never changes t.
func apply(t *Ticket, o op, now time.Time) (*Ticket, error) {
	if !Allowed(t.Status, o.act) {
		return nil, E(KindConflict, CodeTicketWrongState, "number", t.Number, "status", string(t.Status), "action", string(o.act))
	}
	n := t.clone()
	switch o.act {
	case ActCall:
		n.Status = StatusCalled
		n.Window, n.Operator = o.window, o.operator
		n.CalledAt, n.StartedAt = now, time.Time{}
		n.Recalls = 0
		n.PostponedUntil = time.Time{}
		n.BoundWindow = 0
	case ActRecall:
		if o.recallMax > 0 && t.Recalls >= o.recallMax {
			n.Status = StatusNoShow
			n.ClosedAt = now
			n.Reason = "recall_limit"
			break
		}
		n.Recalls++
	case ActStart:
		n.Status = StatusServing
		n.StartedAt = now
	case ActPostpone:
		n.Status = StatusPostponed
		n.PostponedUntil = o.until
		n.BoundWindow = o.window // "only mine": back to this window alone
		n.Window, n.Operator = 0, ""
		n.CalledAt, n.StartedAt = time.Time{}, time.Time{}
		n.Recalls = 0
	case ActReturn:
		n.Status = StatusWaiting
		n.PostponedUntil = time.Time{}
		n.QueuedAt = now
	case ActFinish:
		step := Step{Service: t.Service, Window: t.Window, Operator: t.Operator, Result: o.result,
			Comment: o.comment, QueuedAt: t.QueuedAt, CalledAt: t.CalledAt, StartedAt: t.StartedAt, FinishedAt: now}
		if step.StartedAt.IsZero() {
			step.StartedAt = t.CalledAt // finished without an explicit start: served since the call
		}
		n.History = append(slices.Clip(t.History), step)
		n.Steps = append(slices.Clone(o.next), t.Steps...)
		next, back := "", false
		switch {
		case len(n.Returns) > 0:
			next, n.Returns = n.Returns[len(n.Returns)-1], slices.Clone(n.Returns[:len(n.Returns)-1])
			back = true
		case len(n.Steps) > 0:
			next, n.Steps = n.Steps[0], n.Steps[1:]
		}
		if len(n.Steps) == 0 {
			n.Steps = nil
		}
		if len(n.Returns) == 0 {
			n.Returns = nil
		}
		n.Window, n.Operator = 0, ""
		n.CalledAt, n.StartedAt = time.Time{}, time.Time{}
		n.Recalls = 0
		if next == "" {
			n.Status = StatusDone
			n.ClosedAt = now
			break
		}
		n.Status = StatusWaiting
		n.Service = next
		n.QueuedAt = now
		if back {
			// Back to the service the visitor was sent away from: to the same
			// window, with the place kept.
			for i := len(t.Trail) - 1; i >= 0; i-- {
				if h := t.Trail[i]; h.Return && h.FromService == next {
					n.BoundWindow = h.FromWindow
					break
				}
			}
		} else {
			n.QueueKey = now
		}
	case ActRedirect:
		h := Hop{At: now, FromService: t.Service, FromWindow: t.Window, ToService: o.service, ToWindow: o.window,
			By: o.by, KeepPlace: o.keepPlace, Return: o.back, Reason: o.reason}
		if h.ToService == "" {
			h.ToService = t.Service
		}
		n.Trail = append(slices.Clip(t.Trail), h)
		if o.back {
			n.Returns = append(slices.Clip(t.Returns), t.Service)
		}
		n.Service = h.ToService
		n.Status = StatusWaiting
		n.BoundWindow = o.window
		n.Window, n.Operator = 0, ""
		n.CalledAt, n.StartedAt, n.PostponedUntil = time.Time{}, time.Time{}, time.Time{}
		n.Recalls = 0
		n.QueuedAt = now
		if !o.keepPlace {
			n.QueueKey = now
		}
	case ActBind:
		n.BoundWindow = o.window
	case ActNoShow:
		n.Status = StatusNoShow
		n.ClosedAt = now
	case ActCancel:
		n.Status = StatusCancelled
		n.ClosedAt = now
		n.Reason = o.reason
	case ActClose:
		n.Status = StatusClosed
		n.ClosedAt = now
		n.Reason = o.reason
	}
	return n, nil
}
