package queue

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind classifies an Error so that an edge (HTTP, a CLI) can map it to a status
// without knowing every code.
type Kind int

// The kinds of Error. KindInternal is never built on purpose: any error that is
// not an *Error is internal.
const (
	KindInternal     Kind = iota
	KindInvalid           // the request is malformed or breaks a validation rule
	KindUnauthorized      // the caller is not authenticated
	KindForbidden         // the caller may not do this
	KindNotFound          // the named thing does not exist
	KindConflict          // the request is well formed but the current state refuses it
	KindTooMany           // the caller is being rate limited
	KindUnavailable       // the engine is shutting down or the store failed
)

// Error codes. They are stable: integrators match on them, and web/i18n holds a
// message for each one in every language.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeInvalidField        = "invalid_field"
	CodeAuthRequired        = "auth_required"
	CodeInvalidCredentials  = "invalid_credentials"
	CodeSessionExpired      = "session_expired"
	CodeForbidden           = "forbidden"
	CodeOfficeForbidden     = "office_forbidden"
	CodeTooManyAttempts     = "too_many_attempts"
	CodeUnavailable         = "unavailable"
	CodeIdempotencyMismatch = "idempotency_key_reused"

	CodeOfficeNotFound   = "office_not_found"
	CodeServiceNotFound  = "service_not_found"
	CodeWindowNotFound   = "window_not_found"
	CodeCategoryNotFound = "category_not_found"
	CodeUserNotFound     = "user_not_found"
	CodeTicketNotFound   = "ticket_not_found"
	CodeBookingNotFound  = "booking_not_found"
	CodeClientNotFound   = "client_not_found"
	CodeNumberNotFound   = "number_not_found"

	CodeDuplicate = "duplicate"

	CodeOfficeInactive   = "office_inactive"
	CodeOfficeClosed     = "office_closed"
	CodeDayClosed        = "day_closed"
	CodeServiceInactive  = "service_inactive"
	CodeServiceIsGroup   = "service_is_group"
	CodeServiceClosed    = "service_closed"
	CodeServiceOnBreak   = "service_on_break"
	CodeDailyLimit       = "daily_limit_reached"
	CodePurposeNotServed = "purpose_not_served"
	CodeCategoryInactive = "category_inactive"

	CodeWindowInactive = "window_inactive"
	CodeWindowBusy     = "window_busy"
	CodeWindowTaken    = "window_taken"
	CodeWindowOnBreak  = "window_on_break"
	CodeWindowNotYours = "window_not_yours"
	CodeNotAtWindow    = "not_at_window"
	CodeQueueEmpty     = "queue_empty"

	CodeTicketWrongState = "ticket_wrong_state"
	CodeTicketNotHere    = "ticket_not_at_window"
	CodeResultRequired   = "result_required"
	CodeResultUnknown    = "result_unknown"
	CodeServiceNotServed = "service_not_served"
	CodeTicketPrinted    = "ticket_printed"

	CodeBookingTooEarly = "booking_too_early"
	CodeBookingTooLate  = "booking_too_late"
	CodeBookingUsed     = "booking_used"
	CodeSlotUnavailable = "slot_unavailable"
)

// Codes returns every error code the engine can return, sorted. web uses it to
// check that each code has a message in each language.
func Codes() []string {
	c := []string{
		CodeInvalidRequest, CodeInvalidField, CodeAuthRequired, CodeInvalidCredentials,
		CodeSessionExpired, CodeForbidden, CodeOfficeForbidden, CodeTooManyAttempts,
		CodeUnavailable, CodeIdempotencyMismatch,
		CodeOfficeNotFound, CodeServiceNotFound, CodeWindowNotFound, CodeCategoryNotFound,
		CodeUserNotFound, CodeTicketNotFound, CodeBookingNotFound, CodeClientNotFound,
		CodeNumberNotFound, CodeDuplicate,
		CodeOfficeInactive, CodeOfficeClosed, CodeDayClosed, CodeServiceInactive,
		CodeServiceIsGroup, CodeServiceClosed, CodeServiceOnBreak, CodeDailyLimit,
		CodePurposeNotServed, CodeCategoryInactive,
		CodeWindowInactive, CodeWindowBusy, CodeWindowTaken, CodeWindowOnBreak,
		CodeWindowNotYours, CodeNotAtWindow, CodeQueueEmpty,
		CodeTicketWrongState, CodeTicketNotHere, CodeResultRequired, CodeResultUnknown,
		CodeServiceNotServed, CodeTicketPrinted,
		CodeBookingTooEarly, CodeBookingTooLate, CodeBookingUsed, CodeSlotUnavailable,
	}
	sort.Strings(c)
	return c
}

// Field validation rules, carried in Error.Params["rule"] of CodeInvalidField.
const (
	RuleRequired = "required"
	RuleTooLong  = "too_long"
	RuleRange    = "out_of_range"
	RuleFormat   = "bad_format"
	RuleUnknown  = "unknown_reference"
	RuleDup      = "duplicate"
	RuleValue    = "bad_value"
)

// Rules returns every validation rule name, for the same check as Codes.
func Rules() []string {
	return []string{RuleRequired, RuleTooLong, RuleRange, RuleFormat, RuleUnknown, RuleDup, RuleValue}
}

// Error is a domain error with a stable machine-readable Code. Params carry the
// values a human message needs (a ticket number, a limit), never secrets.
type Error struct {
	Kind   Kind
	Code   string
	Params map[string]string
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Params) == 0 {
		return e.Code
	}
	keys := make([]string, 0, len(e.Params))
	for k := range e.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(e.Code)
	for i, k := range keys {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", k, e.Params[k])
	}
	return b.String()
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &queue.Error{Code: queue.CodeQueueEmpty}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// E builds an *Error. kv are alternating parameter names and values.
func E(kind Kind, code string, kv ...string) *Error {
	e := &Error{Kind: kind, Code: code}
	if len(kv) > 0 {
		e.Params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" && strings.HasSuffix(kv[i], "_en") {
				continue // no English name: messages use the Russian one
			}
			e.Params[kv[i]] = kv[i+1]
		}
	}
	return e
}

// Invalid builds a CodeInvalidField error for the JSON path field and rule.
func Invalid(field, rule string, kv ...string) *Error {
	e := E(KindInvalid, CodeInvalidField, kv...)
	if e.Params == nil {
		e.Params = map[string]string{}
	}
	e.Params["field"] = field
	e.Params["rule"] = rule
	return e
}

// ErrorCode returns the code of err, or "internal" when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}

// ErrorKind returns the kind of err; KindInternal when err is not an *Error.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// prefixField returns err with its field path prefixed (for nested validation).
func prefixField(prefix string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeInvalidField {
		c := *e
		c.Params = make(map[string]string, len(e.Params))
		for k, v := range e.Params {
			c.Params[k] = v
		}
		if f := c.Params["field"]; f != "" && !strings.HasPrefix(f, "[") {
			c.Params["field"] = prefix + "." + f
		} else {
			c.Params["field"] = prefix + f
		}
		return &c
	}
	return err
}
