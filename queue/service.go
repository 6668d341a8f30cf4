package queue

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Purpose is why a visitor came (the visit purposes of the МФЦ recommendations).
type Purpose string

// The visit purposes.
const (
	PurposeSubmit       Purpose = "submit"       // подача заявления
	PurposeStatus       Purpose = "status"       // выяснение статуса
	PurposeResult       Purpose = "result"       // получение результата
	PurposeConsultation Purpose = "consultation" // консультация
	PurposeOther        Purpose = "other"
)

// Purposes lists every purpose in display order.
func Purposes() []Purpose {
	return []Purpose{PurposeSubmit, PurposeStatus, PurposeResult, PurposeConsultation, PurposeOther}
}

func (p Purpose) valid() bool {
	for _, q := range Purposes() {
		if p == q {
			return true
		}
	}
	return false
}

// Service is a node of an office's service catalogue: a group of services, or
// a service a ticket can be issued for.
type Service struct {
	ID             string     `json:"id" doc:"stable identifier within the office"`
	Parent         string     `json:"parent,omitempty" doc:"id of the group this service belongs to"`
	Group          bool       `json:"group,omitempty" doc:"a group holds services and cannot be chosen itself"`
	Code           string     `json:"code,omitempty" doc:"external code (АИС МФЦ, ФРГУ)"`
	Name           Text       `json:"name"`
	Prefix         string     `json:"prefix,omitempty" doc:"ticket number prefix, 1 to 3 letters, Cyrillic allowed"`
	Purposes       []Purpose  `json:"purposes,omitempty" doc:"visit purposes this service accepts; empty accepts all"`
	DailyLimit     int        `json:"daily_limit,omitempty" doc:"tickets and bookings per day; 0 means no limit"`
	NormMinutes    int        `json:"norm_minutes,omitempty" doc:"expected minutes to serve one visitor"`
	Schedule       *WeekHours `json:"schedule,omitempty" doc:"hours of this service within the office hours; absent means the office hours"`
	Then           []string   `json:"then,omitempty" doc:"services the visitor goes on to after this one (multi-step visit)"`
	Results        []Result   `json:"results,omitempty" doc:"outcomes an operator picks at finish"`
	ResultRequired bool       `json:"result_required,omitempty"`
	Order          int        `json:"order,omitempty" doc:"position among siblings"`
	Active         bool       `json:"active"`
}

// Result is one outcome of a service, chosen when the visit finishes.
type Result struct {
	ID   string `json:"id"`
	Name Text   `json:"name"`
}

// UnmarshalJSON makes a service active unless the document says otherwise.
func (s *Service) UnmarshalJSON(b []byte) error {
	type plain Service
	p := plain{Active: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Service(p)
	return nil
}

// Norm returns the expected service minutes, 10 when unset.
func (s *Service) Norm() int {
	if s.NormMinutes > 0 {
		return s.NormMinutes
	}
	return 10
}

// Accepts reports whether the service takes visitors with purpose p.
func (s *Service) Accepts(p Purpose) bool {
	if len(s.Purposes) == 0 || p == "" {
		return true
	}
	for _, q := range s.Purposes {
		if q == p {
			return true
		}
	}
	return false
}

// Validate checks the service on its own; references are checked by the office
// catalogue.
func (s *Service) Validate() error {
	if err := validID("id", s.ID); err != nil {
		return err
	}
	if s.Parent != "" {
		if err := validID("parent", s.Parent); err != nil {
			return err
		}
		if s.Parent == s.ID {
			return Invalid("parent", RuleValue)
		}
	}
	if len(s.Code) > 64 {
		return Invalid("code", RuleTooLong, "max", "64")
	}
	if err := s.Name.validate("name", true); err != nil {
		return err
	}
	if !s.Group {
		if s.Prefix == "" {
			return Invalid("prefix", RuleRequired)
		}
		if n := utf8.RuneCountInString(s.Prefix); n > 3 {
			return Invalid("prefix", RuleTooLong, "max", "3")
		}
		for _, r := range s.Prefix {
			if !unicode.IsLetter(r) || !unicode.IsUpper(r) {
				return Invalid("prefix", RuleFormat)
			}
		}
	} else if len(s.Then) > 0 || len(s.Results) > 0 {
		return Invalid("group", RuleValue)
	}
	seen := map[Purpose]bool{}
	for i, p := range s.Purposes {
		if !p.valid() {
			return Invalid(fmt.Sprintf("purposes[%d]", i), RuleValue)
		}
		if seen[p] {
			return Invalid(fmt.Sprintf("purposes[%d]", i), RuleDup)
		}
		seen[p] = true
	}
	if s.DailyLimit < 0 || s.DailyLimit > 100000 {
		return Invalid("daily_limit", RuleRange, "min", "0", "max", "100000")
	}
	if s.NormMinutes < 0 || s.NormMinutes > 480 {
		return Invalid("norm_minutes", RuleRange, "min", "0", "max", "480")
	}
	if s.Schedule != nil {
		if err := s.Schedule.validate("schedule"); err != nil {
			return err
		}
	}
	if len(s.Then) > 10 {
		return Invalid("then", RuleTooLong, "max", "10")
	}
	for i, t := range s.Then {
		if err := validID(fmt.Sprintf("then[%d]", i), t); err != nil {
			return err
		}
	}
	ids := map[string]bool{}
	for i, r := range s.Results {
		f := fmt.Sprintf("results[%d]", i)
		if err := validID(f+".id", r.ID); err != nil {
			return err
		}
		if ids[r.ID] {
			return Invalid(f+".id", RuleDup)
		}
		ids[r.ID] = true
		if err := r.Name.validate(f+".name", true); err != nil {
			return err
		}
	}
	if s.ResultRequired && len(s.Results) == 0 {
		return Invalid("result_required", RuleValue)
	}
	return nil
}

// result returns the result with id, or nil.
func (s *Service) result(id string) *Result {
	for i := range s.Results {
		if s.Results[i].ID == id {
			return &s.Results[i]
		}
	}
	return nil
}

// Category is a priority category of citizens (disabled people, veterans,
// pregnant women…). A higher Level is called earlier; an operator checks the
// document named in Document.
type Category struct {
	ID       string `json:"id"`
	Name     Text   `json:"name"`
	Document Text   `json:"document,omitempty" doc:"the document the operator checks"`
	Level    int    `json:"level" doc:"priority level, 1 to 100; higher is called earlier"`
	Active   bool   `json:"active"`
}

// UnmarshalJSON makes a category active unless the document says otherwise.
func (c *Category) UnmarshalJSON(b []byte) error {
	type plain Category
	p := plain{Active: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Category(p)
	return nil
}

// Validate checks the category.
func (c *Category) Validate() error {
	if err := validID("id", c.ID); err != nil {
		return err
	}
	if err := c.Name.validate("name", true); err != nil {
		return err
	}
	if err := c.Document.validate("document", false); err != nil {
		return err
	}
	if c.Level < 1 || c.Level > 100 {
		return Invalid("level", RuleRange, "min", "1", "max", "100")
	}
	return nil
}
