package queue

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a person may do.
type Role string

// The roles of people.
const (
	RoleOperator Role = "operator" // serves visitors at a window
	RoleManager  Role = "manager"  // watches and steers an office's queue, reads reports
	RoleAdmin    Role = "admin"    // configures offices, services, windows and people
)

// ClientKind is the kind of a non-person caller.
type ClientKind string

// The kinds of clients: integrations with API keys and devices with tokens.
const (
	ClientAPI    ClientKind = "api"    // an integration (АИС МФЦ, a booking portal)
	ClientKiosk  ClientKind = "kiosk"  // a ticket kiosk
	ClientBoard  ClientKind = "board"  // a hall board or window display
	ClientRating ClientKind = "rating" // a rating kiosk
	ClientAgent  ClientKind = "agent"  // a device agent driving serial hardware
)

// Perm is a permission; API keys carry them as scopes.
type Perm string

// The permissions.
const (
	PermRead        Perm = "tickets:read"   // the queue, tickets, window states, the event feed
	PermIssue       Perm = "tickets:issue"  // issue tickets, check in bookings
	PermOperate     Perm = "queue:operate"  // work a window: call, start, finish, postpone, redirect
	PermManage      Perm = "queue:manage"   // act on any window or ticket, close the day
	PermBook        Perm = "bookings:write" // create and cancel pre-bookings
	PermReports     Perm = "reports:read"   // statistics
	PermConfigRead  Perm = "config:read"    // offices, services, windows, categories
	PermConfigWrite Perm = "config:write"   // change offices, services, windows, categories
	PermUsers       Perm = "users:write"    // manage people, API keys and devices
	PermFeed        Perm = "feed:read"      // the display feed (no personal data)
)

// AllPerms lists every permission.
func AllPerms() []Perm {
	return []Perm{PermRead, PermIssue, PermOperate, PermManage, PermBook, PermReports,
		PermConfigRead, PermConfigWrite, PermUsers, PermFeed}
}

// RolePerms returns the permissions of a role.
func RolePerms(r Role) []Perm {
	switch r {
	case RoleAdmin:
		return AllPerms()
	case RoleManager:
		return []Perm{PermRead, PermIssue, PermOperate, PermManage, PermBook, PermReports, PermConfigRead, PermFeed}
	case RoleOperator:
		return []Perm{PermRead, PermIssue, PermOperate, PermConfigRead, PermFeed}
	}
	return nil
}

// DevicePerms returns the permissions of a device kind; API clients get their
// scopes instead.
func DevicePerms(k ClientKind) []Perm {
	switch k {
	case ClientKiosk:
		return []Perm{PermIssue, PermConfigRead, PermFeed}
	case ClientBoard, ClientAgent:
		return []Perm{PermConfigRead, PermFeed}
	case ClientRating:
		return []Perm{PermConfigRead, PermFeed}
	}
	return nil
}

// User is a person who logs in: an operator, a manager or an admin.
type User struct {
	ID      string `json:"id"`
	Login   string `json:"login"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	Office  string `json:"office,omitempty" doc:"the office the user works in; empty only for admins of every office"`
	Windows []int  `json:"windows,omitempty" doc:"windows an operator may sit at; empty means any"`
	Active  bool   `json:"active"`
}

// UnmarshalJSON makes a user active unless the document says otherwise.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	p := plain{Active: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*u = User(p)
	return nil
}

// Validate checks the user on its own.
func (u *User) Validate() error {
	if err := validID("id", u.ID); err != nil {
		return err
	}
	if err := validLogin(u.Login); err != nil {
		return err
	}
	if strings.TrimSpace(u.Name) == "" {
		return Invalid("name", RuleRequired)
	}
	if utf8.RuneCountInString(u.Name) > 200 {
		return Invalid("name", RuleTooLong, "max", "200")
	}
	switch u.Role {
	case RoleOperator, RoleManager:
		if u.Office == "" {
			return Invalid("office", RuleRequired)
		}
	case RoleAdmin:
	default:
		return Invalid("role", RuleValue)
	}
	if u.Office != "" {
		if err := validID("office", u.Office); err != nil {
			return err
		}
	}
	for i, w := range u.Windows {
		if w < 1 || w > 9999 {
			return Invalid(fmt.Sprintf("windows[%d]", i), RuleRange, "min", "1", "max", "9999")
		}
	}
	return nil
}

func validLogin(l string) error {
	if l == "" {
		return Invalid("login", RuleRequired)
	}
	if len(l) > 64 {
		return Invalid("login", RuleTooLong, "max", "64")
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return Invalid("login", RuleFormat)
		}
	}
	return nil
}

// Client is a non-person caller: an integration with an API key, or a device
// (kiosk, board, rating kiosk, agent) with a device token. Its secret is kept
// only as a hash.
type Client struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Kind    ClientKind     `json:"kind"`
	Office  string         `json:"office,omitempty" doc:"the office the client may act in; empty means every office (API keys only)"`
	Scopes  []Perm         `json:"scopes,omitempty" doc:"permissions of an API key; devices have fixed permissions"`
	Printer *PrinterConfig `json:"printer,omitempty" doc:"the ticket printer of a kiosk; absent when it has none"`
	Active  bool           `json:"active"`
	Created time.Time      `json:"created"`
}

// Validate checks the client.
func (c *Client) Validate() error {
	if err := validID("id", c.ID); err != nil {
		return err
	}
	if strings.TrimSpace(c.Name) == "" {
		return Invalid("name", RuleRequired)
	}
	if utf8.RuneCountInString(c.Name) > 200 {
		return Invalid("name", RuleTooLong, "max", "200")
	}
	switch c.Kind {
	case ClientAPI:
		if len(c.Scopes) == 0 {
			return Invalid("scopes", RuleRequired)
		}
		for i, s := range c.Scopes {
			if !slices.Contains(AllPerms(), s) {
				return Invalid(fmt.Sprintf("scopes[%d]", i), RuleValue)
			}
		}
	case ClientKiosk, ClientBoard, ClientRating, ClientAgent:
		if c.Office == "" {
			return Invalid("office", RuleRequired)
		}
		if len(c.Scopes) > 0 {
			return Invalid("scopes", RuleValue)
		}
	default:
		return Invalid("kind", RuleValue)
	}
	if c.Printer != nil {
		if c.Kind != ClientKiosk {
			return Invalid("printer", RuleValue)
		}
		if err := c.Printer.Validate(); err != nil {
			return prefixField("printer", err)
		}
	}
	if c.Office != "" {
		return validID("office", c.Office)
	}
	return nil
}

// Perms returns the effective permissions of the client.
func (c *Client) Perms() []Perm {
	if c.Kind == ClientAPI {
		return c.Scopes
	}
	return DevicePerms(c.Kind)
}

// Principal is an authenticated caller as the engine sees it.
type Principal struct {
	Kind    string     `json:"kind" doc:"user, client or system"`
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Role    Role       `json:"role,omitempty"`
	Client  ClientKind `json:"client,omitempty"`
	Office  string     `json:"office,omitempty" doc:"empty means every office"`
	Windows []int      `json:"windows,omitempty"`
	Perms   []Perm     `json:"perms"`
}

// Can reports whether the principal holds permission p in office. office ""
// means every office (people and keys of every office, the whole
// configuration): a principal of one office never holds a permission there.
func (p *Principal) Can(perm Perm, office string) bool {
	if p == nil {
		return false
	}
	if p.Office != "" && p.Office != office {
		return false
	}
	return slices.Contains(p.Perms, perm)
}

// System is the principal of the engine's own actions (postpone expiry, day close).
func System() *Principal {
	return &Principal{Kind: "system", ID: "system", Name: "Talon", Perms: AllPerms()}
}

// Actor is who did something, as written into the journal.
type Actor struct {
	Kind   string `json:"kind" doc:"user, client or system"`
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Device string `json:"device,omitempty" doc:"the device or program the request came from"`
	IP     string `json:"ip,omitempty"`
}

// Meta is the context of one command: who asks, from where, and the
// idempotency key of the request, if any.
type Meta struct {
	Principal      *Principal
	Device         string
	IP             string
	IdempotencyKey string
}

func (m Meta) actor() Actor {
	p := m.Principal
	if p == nil {
		p = System()
	}
	return Actor{Kind: p.Kind, ID: p.ID, Name: p.Name, Device: m.Device, IP: m.IP}
}
