package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Document is the whole configuration as one JSON document: offices with
// their catalogues, and the people who work there (without passwords). It is
// what `talon config export` writes and `talon config import` reads.
type Document struct {
	Version int            `json:"version" doc:"format version, 1"`
	Offices []OfficeConfig `json:"offices"`
	Users   []User         `json:"users"`
}

// Mode says whether a Put creates a new thing or changes an existing one.
type Mode int

// The put modes.
const (
	Create Mode = iota + 1 // fails with duplicate when it exists
	Update                 // fails with *_not_found when it does not
)

type putCmd struct {
	Kind   string
	Office string
	Mode   Mode
	Data   json.RawMessage
	// decoded forms; Data is what the fingerprint sees
	office   *Office
	service  *Service
	window   *Window
	category *Category
}

// PutOffice creates or changes an office. Deactivate an office by putting it
// with active false: nothing is ever deleted, so history keeps its meaning.
func (q *Queue) PutOffice(ctx context.Context, m Meta, o Office, mode Mode) (Office, error) {
	d, _ := json.Marshal(o)
	return run[Office](ctx, q, m, putCmd{Kind: "office", Office: o.ID, Mode: mode, Data: d, office: &o})
}

// PutService creates or changes a service of an office's catalogue.
func (q *Queue) PutService(ctx context.Context, m Meta, office string, s Service, mode Mode) (Service, error) {
	d, _ := json.Marshal(s)
	return run[Service](ctx, q, m, putCmd{Kind: "service", Office: office, Mode: mode, Data: d, service: &s})
}

// PutWindow creates or changes a window.
func (q *Queue) PutWindow(ctx context.Context, m Meta, office string, w Window, mode Mode) (Window, error) {
	d, _ := json.Marshal(w)
	return run[Window](ctx, q, m, putCmd{Kind: "window", Office: office, Mode: mode, Data: d, window: &w})
}

// PutCategory creates or changes a priority category.
func (q *Queue) PutCategory(ctx context.Context, m Meta, office string, k Category, mode Mode) (Category, error) {
	d, _ := json.Marshal(k)
	return run[Category](ctx, q, m, putCmd{Kind: "category", Office: office, Mode: mode, Data: d, category: &k})
}

func notFound(kind, id string) error {
	code := map[string]string{"office": CodeOfficeNotFound, "service": CodeServiceNotFound,
		"window": CodeWindowNotFound, "category": CodeCategoryNotFound}[kind]
	return E(KindNotFound, code, kind, id)
}

func (x putCmd) run(c *txn) (any, error) {
	if err := c.require(PermConfigWrite, x.Office); err != nil {
		return nil, err
	}
	var cfg *OfficeConfig
	if x.Kind == "office" {
		if err := x.office.Validate(); err != nil {
			return nil, err
		}
		old := c.w.offices[x.Office]
		switch {
		case old == nil && x.Mode == Update:
			return nil, notFound("office", x.Office)
		case old != nil && x.Mode == Create:
			return nil, E(KindConflict, CodeDuplicate, "kind", "office", "id", x.Office)
		case old == nil:
			cfg = &OfficeConfig{Office: *x.office}
		default:
			cfg = old.cat.cfg.clone()
			cfg.Office = *x.office
		}
	} else {
		os, err := c.office(x.Office)
		if err != nil {
			return nil, err
		}
		cfg = os.cat.cfg.clone()
		var found bool
		var id string
		switch x.Kind {
		case "service":
			if err := x.service.Validate(); err != nil {
				return nil, err
			}
			id = x.service.ID
			cfg.Services, found = replace(cfg.Services, *x.service, func(s Service) bool { return s.ID == id })
		case "window":
			if err := x.window.Validate(); err != nil {
				return nil, err
			}
			id = strconv.Itoa(x.window.Number)
			cfg.Windows, found = replace(cfg.Windows, *x.window, func(w Window) bool { return w.Number == x.window.Number })
			slices.SortFunc(cfg.Windows, func(a, b Window) int { return cmp.Compare(a.Number, b.Number) })
		case "category":
			if err := x.category.Validate(); err != nil {
				return nil, err
			}
			id = x.category.ID
			cfg.Categories, found = replace(cfg.Categories, *x.category, func(k Category) bool { return k.ID == id })
		}
		if found && x.Mode == Create {
			return nil, E(KindConflict, CodeDuplicate, "kind", x.Kind, "id", id)
		}
		if !found && x.Mode == Update {
			return nil, notFound(x.Kind, id)
		}
	}
	cat, err := compile(cfg)
	if err == nil {
		err = prefixesApart(cfg)
	}
	if err != nil {
		return nil, err
	}
	c.put(configChange{cat})
	c.cats = map[string]*catalog{x.Office: cat}
	id := x.Office
	switch x.Kind {
	case "service":
		id = x.service.ID
	case "window":
		id = strconv.Itoa(x.window.Number)
	case "category":
		id = x.category.ID
	}
	c.emit(x.Office, EventConfigChanged, func(e *Event) { e.Config = &ConfigEntry{Kind: x.Kind, ID: id, Data: x.Data} })
	if x.Kind == "office" {
		// A new office starts its first day now, without closing anything.
		if c.w.offices[x.Office] == nil {
			c.put(runtimeChange{office: x.Office, day: cat.day(c.now)})
		}
	}
	switch x.Kind {
	case "office":
		return *x.office, nil
	case "service":
		return *x.service, nil
	case "window":
		return *x.window, nil
	default:
		return *x.category, nil
	}
}

// replace puts v in place of the element matching, or appends it.
func replace[T any](s []T, v T, match func(T) bool) ([]T, bool) {
	if i := slices.IndexFunc(s, match); i >= 0 {
		s[i] = v
		return s, true
	}
	return append(s, v), false
}

type importCmd struct {
	Doc Document
}

// Import replaces the configuration with doc in one step: everything is
// validated first, and a bad document changes nothing. Offices, services,
// windows, categories and users missing from doc are deactivated, not
// deleted (administrators missing from doc are kept, so that a file cannot
// lock everyone out); passwords and client tokens are kept. Returns invalid_field with
// the path of the first error.
func (q *Queue) Import(ctx context.Context, m Meta, doc Document) (ImportSummary, error) {
	return run[ImportSummary](ctx, q, m, importCmd{doc})
}

// ImportSummary counts what an import changed.
type ImportSummary struct {
	Offices     int `json:"offices"`
	Users       int `json:"users"`
	Deactivated int `json:"deactivated" doc:"things missing from the document, now inactive"`
}

func (x importCmd) run(c *txn) (any, error) {
	if err := c.require(PermConfigWrite, ""); err != nil {
		return nil, err
	}
	if err := c.require(PermUsers, ""); err != nil {
		return nil, err
	}
	if x.Doc.Version != 1 {
		return nil, Invalid("version", RuleValue)
	}
	var sum ImportSummary
	cats := map[string]*catalog{}
	for i := range x.Doc.Offices {
		cfg := x.Doc.Offices[i]
		cfg.Services, cfg.Windows, cfg.Categories = slices.Clone(cfg.Services), slices.Clone(cfg.Windows), slices.Clone(cfg.Categories)
		id := cfg.Office.ID
		if cats[id] != nil {
			return nil, Invalid(fmt.Sprintf("offices[%d].office.id", i), RuleDup)
		}
		if old := c.w.offices[id]; old != nil {
			sum.Deactivated += keepMissing(&cfg, old.cat.cfg)
		}
		cat, err := compile(&cfg)
		if err == nil {
			err = prefixesApart(&cfg)
		}
		if err != nil {
			return nil, prefixField(fmt.Sprintf("offices[%d]", i), err)
		}
		cats[id] = cat
	}
	for id, os := range c.w.offices {
		if cats[id] == nil {
			cfg := os.cat.cfg.clone()
			if cfg.Office.Active {
				sum.Deactivated++
			}
			cfg.Office.Active = false
			cat, err := compile(cfg)
			if err != nil {
				return nil, err
			}
			cats[id] = cat
		}
	}
	users := map[string]*UserRecord{}
	logins := map[string]bool{}
	for i, u := range x.Doc.Users {
		f := fmt.Sprintf("users[%d]", i)
		if err := c.checkUser(u, cats, logins); err != nil {
			return nil, prefixField(f, err)
		}
		if users[u.ID] != nil {
			return nil, Invalid(f+".id", RuleDup)
		}
		rec := &UserRecord{User: u}
		if old := c.w.users[u.ID]; old != nil {
			rec.PasswordHash = old.PasswordHash
		}
		users[u.ID] = rec
	}
	for id, old := range c.w.users {
		if users[id] != nil || !old.User.Active {
			continue
		}
		if logins[old.User.Login] {
			return nil, Invalid("users", RuleDup, "login", old.User.Login)
		}
		// Administrators the document does not name are kept: a
		// configuration file must not lock out the people who run Talon
		// (an admin is deactivated by naming them with active=false).
		if old.User.Role == RoleAdmin {
			continue
		}
		n := *old
		n.User.Active = false
		users[id] = &n
		sum.Deactivated++
	}
	ids := make([]string, 0, len(cats))
	for id := range cats {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		cat := cats[id]
		isNew := c.w.offices[id] == nil
		c.put(configChange{cat})
		c.cats = cats
		data, _ := json.Marshal(cat.cfg)
		c.emit(id, EventConfigChanged, func(e *Event) { e.Config = &ConfigEntry{Kind: "document", ID: id, Data: data} })
		if isNew {
			c.put(runtimeChange{office: id, day: cat.day(c.now)})
		}
		sum.Offices++
	}
	uids := make([]string, 0, len(users))
	for id := range users {
		uids = append(uids, id)
	}
	slices.Sort(uids)
	for _, id := range uids {
		c.putUser(users[id])
		sum.Users++
	}
	return sum, nil
}

// keepMissing appends, deactivated, whatever old has and cfg lacks.
func keepMissing(cfg *OfficeConfig, old *OfficeConfig) int {
	n := 0
	for _, s := range old.Services {
		if !slices.ContainsFunc(cfg.Services, func(x Service) bool { return x.ID == s.ID }) {
			s.Active = false
			cfg.Services = append(cfg.Services, s)
			n++
		}
	}
	for _, w := range old.Windows {
		if !slices.ContainsFunc(cfg.Windows, func(x Window) bool { return x.Number == w.Number }) {
			w.Active = false
			cfg.Windows = append(cfg.Windows, w)
			n++
		}
	}
	for _, k := range old.Categories {
		if !slices.ContainsFunc(cfg.Categories, func(x Category) bool { return x.ID == k.ID }) {
			k.Active = false
			cfg.Categories = append(cfg.Categories, k)
			n++
		}
	}
	return n
}

// Export returns the configuration as a Document.
func (q *Queue) Export() Document {
	q.mu.RLock()
	defer q.mu.RUnlock()
	doc := Document{Version: 1, Offices: []OfficeConfig{}, Users: []User{}}
	for _, os := range q.r.offices {
		doc.Offices = append(doc.Offices, *os.cat.cfg.clone())
	}
	slices.SortFunc(doc.Offices, func(a, b OfficeConfig) int { return cmp.Compare(a.Office.ID, b.Office.ID) })
	for _, u := range q.r.users {
		doc.Users = append(doc.Users, u.User)
	}
	slices.SortFunc(doc.Users, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return doc
}
