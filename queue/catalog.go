package queue

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// OfficeConfig is an office with its service catalogue, windows and priority
// categories: the unit of configuration that is stored and changed together.
type OfficeConfig struct {
	Office     Office     `json:"office"`
	Services   []Service  `json:"services"`
	Windows    []Window   `json:"windows"`
	Categories []Category `json:"categories"`
}

// catalog is a validated, indexed OfficeConfig. It is immutable: a change
// builds a new one, so readers may hold it without locks.
type catalog struct {
	cfg        *OfficeConfig
	loc        *time.Location
	services   map[string]*Service
	windows    map[int]*Window
	categories map[string]*Category
	// serves maps a window to the concrete services it calls, with ranks
	// (groups expanded, the better rank kept).
	serves map[int][]rankedService
	// servedBy maps a service to the active windows that serve it.
	servedBy map[string][]int
	// today is the local date last asked for: every command and event asks,
	// and formatting a date each time showed in profiles. Readers and the
	// writer share it.
	today atomic.Pointer[localDate]
}

// localDate is the local date of a quarter of an hour (UTC-aligned): zone
// offsets and their changes fall on quarters of an hour, so a date never
// changes inside one.
type localDate struct {
	quarter int64
	date    string
}

type rankedService struct {
	service string
	rank    int
}

// compile validates cfg as a whole and indexes it.
// prefixesApart checks a configuration about to be stored: services may
// share a prefix (and its counter), but two prefixes that read alike (Latin
// H and Cyrillic Н) would give two tickets one number as an operator types
// it to call it. A configuration stored before this rule still loads
// (compile does not check it), so the server starts and it can be mended.
func prefixesApart(cfg *OfficeConfig) error {
	prefixes := map[string]string{}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		if s.Group {
			continue
		}
		canon := canonNumber(s.Prefix)
		if other, ok := prefixes[canon]; ok && other != s.Prefix {
			return Invalid(fmt.Sprintf("services[%d].prefix", i), RuleDup, "prefix", s.Prefix, "like", other)
		}
		prefixes[canon] = s.Prefix
	}
	return nil
}

func compile(cfg *OfficeConfig) (*catalog, error) {
	if err := cfg.Office.Validate(); err != nil {
		return nil, prefixField("office", err)
	}
	c := &catalog{
		cfg:        cfg,
		loc:        cfg.Office.location(),
		services:   make(map[string]*Service, len(cfg.Services)),
		windows:    make(map[int]*Window, len(cfg.Windows)),
		categories: make(map[string]*Category, len(cfg.Categories)),
		serves:     make(map[int][]rankedService, len(cfg.Windows)),
		servedBy:   map[string][]int{},
	}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		f := fmt.Sprintf("services[%d]", i)
		if err := s.Validate(); err != nil {
			return nil, prefixField(f, err)
		}
		if c.services[s.ID] != nil {
			return nil, Invalid(f+".id", RuleDup, "id", s.ID)
		}
		c.services[s.ID] = s
	}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		f := fmt.Sprintf("services[%d]", i)
		if s.Parent != "" {
			p := c.services[s.Parent]
			if p == nil || !p.Group {
				return nil, Invalid(f+".parent", RuleUnknown, "id", s.Parent)
			}
			// Walk up: a cycle would loop forever in the kiosk tree.
			seen := map[string]bool{s.ID: true}
			for q := p; q != nil && q.Parent != ""; q = c.services[q.Parent] {
				if seen[q.ID] {
					return nil, Invalid(f+".parent", RuleValue)
				}
				seen[q.ID] = true
			}
		}
		for j, t := range s.Then {
			if n := c.services[t]; n == nil || n.Group {
				return nil, Invalid(fmt.Sprintf("%s.then[%d]", f, j), RuleUnknown, "id", t)
			}
		}
	}
	for p, id := range cfg.Office.Settings.PurposeServices {
		if s := c.services[id]; s == nil || s.Group {
			return nil, Invalid("office.settings.purpose_services."+string(p), RuleUnknown, "id", id)
		}
	}
	for i := range cfg.Categories {
		k := &cfg.Categories[i]
		f := fmt.Sprintf("categories[%d]", i)
		if err := k.Validate(); err != nil {
			return nil, prefixField(f, err)
		}
		if c.categories[k.ID] != nil {
			return nil, Invalid(f+".id", RuleDup, "id", k.ID)
		}
		c.categories[k.ID] = k
	}
	for i := range cfg.Windows {
		w := &cfg.Windows[i]
		f := fmt.Sprintf("windows[%d]", i)
		if err := w.Validate(); err != nil {
			return nil, prefixField(f, err)
		}
		if c.windows[w.Number] != nil {
			return nil, Invalid(f+".number", RuleDup, "number", fmt.Sprint(w.Number))
		}
		c.windows[w.Number] = w
		best := map[string]int{}
		for j, ws := range w.Services {
			s := c.services[ws.Service]
			if s == nil {
				return nil, Invalid(fmt.Sprintf("%s.services[%d].service", f, j), RuleUnknown, "id", ws.Service)
			}
			for _, id := range c.leaves(s.ID) {
				if r, ok := best[id]; !ok || ws.Rank < r {
					best[id] = ws.Rank
				}
			}
		}
		rs := make([]rankedService, 0, len(best))
		for id, r := range best {
			rs = append(rs, rankedService{id, r})
		}
		slices.SortFunc(rs, func(a, b rankedService) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.service, b.service))
		})
		c.serves[w.Number] = rs
		if w.Active {
			for _, r := range rs {
				c.servedBy[r.service] = append(c.servedBy[r.service], w.Number)
			}
		}
	}
	return c, nil
}

// leaves returns the issuable services at or under id.
func (c *catalog) leaves(id string) []string {
	s := c.services[id]
	if s == nil {
		return nil
	}
	if !s.Group {
		return []string{id}
	}
	var out []string
	for i := range c.cfg.Services {
		if ch := &c.cfg.Services[i]; ch.Parent == id {
			out = append(out, c.leaves(ch.ID)...)
		}
	}
	return out
}

// day returns the office's local date at t.
func (c *catalog) day(t time.Time) string {
	q := t.Unix() / 900
	if t.Unix() < 0 && t.Unix()%900 != 0 {
		q-- // floor, not truncation, before 1970
	}
	if d := c.today.Load(); d != nil && d.quarter == q {
		return d.date
	}
	d := &localDate{quarter: q, date: t.In(c.loc).Format(time.DateOnly)}
	c.today.Store(d)
	return d.date
}

// rank returns the rank of service s at window w, or 0 when w does not serve s.
func (c *catalog) rank(w int, s string) int {
	for _, r := range c.serves[w] {
		if r.service == s {
			return r.rank
		}
	}
	return 0
}

// level returns the priority level of category id (0 for none or unknown).
func (c *catalog) level(id string) int {
	if k := c.categories[id]; k != nil {
		return k.Level
	}
	return 0
}

// clone returns a deep copy of cfg, so a change can be built without touching
// the catalogue readers hold.
func (cfg *OfficeConfig) clone() *OfficeConfig {
	n := &OfficeConfig{
		Office:     cfg.Office,
		Services:   slices.Clone(cfg.Services),
		Windows:    slices.Clone(cfg.Windows),
		Categories: slices.Clone(cfg.Categories),
	}
	return n
}
