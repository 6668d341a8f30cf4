package queue

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// world is the engine's in-memory state. There are two: the writer's, which
// runs ahead while a batch is being committed, and the committed one readers
// see. Both change only through change values, applied in the same order, so
// they agree once a batch is committed.
type world struct {
	offices      map[string]*officeState
	users        map[string]*UserRecord
	logins       map[string]string // login → user id
	clients      map[string]*Client
	creds        map[string]*Credential // token hash → credential
	bookings     map[string]*Booking    // status booked only
	bookingCodes map[string]string      // code → booking id
	usedCodes    map[string]*Booking    // code → a booking no longer open, to say so at a second check-in
	usedCap      int                    // size of usedCodes that makes putBooking drop old entries
	idem         map[string]*IdemRecord
	nextID       uint64
	sysSeq       uint64 // Seq of the journal of people and clients
}

// officeState is one office: its catalogue, counters, active tickets and the
// queues they stand in.
type officeState struct {
	cat       *catalog
	seq       uint64
	rt        OfficeRuntime
	tickets   map[string]*Ticket // active tickets
	byNumber  numberIndex        // active tickets by number
	queues    map[string]*serviceQueue
	bound     map[int]*tlist // waiting tickets bound to a window
	postponed *tlist         // by PostponedUntil
	windows   map[int]*WindowState
	avg       map[string]float64 // service → moving average of service seconds
}

// serviceQueue holds the waiting, unbound tickets of one service, in buckets
// whose members differ only by their place: within a bucket the head always
// scores best, so call-next looks at heads only.
type serviceQueue struct {
	buckets map[bucketKey]*tlist
	n       int
}

type bucketKey struct {
	category string
	booked   bool
}

func newWorld() *world {
	return &world{
		offices:      map[string]*officeState{},
		users:        map[string]*UserRecord{},
		logins:       map[string]string{},
		clients:      map[string]*Client{},
		creds:        map[string]*Credential{},
		bookings:     map[string]*Booking{},
		bookingCodes: map[string]string{},
		usedCodes:    map[string]*Booking{},
		usedCap:      10000,
		idem:         map[string]*IdemRecord{},
	}
}

func newOfficeState(cat *catalog) *officeState {
	return &officeState{
		cat:       cat,
		rt:        OfficeRuntime{Office: cat.cfg.Office.ID, Counters: map[string]int{}, Issued: map[string]int{}},
		tickets:   map[string]*Ticket{},
		byNumber:  numberIndex{},
		queues:    map[string]*serviceQueue{},
		bound:     map[int]*tlist{},
		postponed: &tlist{less: byUntil},
		windows:   map[int]*WindowState{},
		avg:       map[string]float64{},
	}
}

// worldFrom builds a world from a store snapshot.
func worldFrom(s *Snapshot) (*world, error) {
	w := newWorld()
	for _, cfg := range s.Configs {
		cat, err := compile(cfg)
		if err != nil {
			return nil, err
		}
		w.offices[cfg.Office.ID] = newOfficeState(cat)
	}
	for _, rt := range s.Runtime {
		if os := w.offices[rt.Office]; os != nil {
			os.rt = OfficeRuntime{Office: rt.Office, Day: rt.Day, Closed: rt.Closed,
				Counters: maps.Clone(rt.Counters), Issued: maps.Clone(rt.Issued)}
			if os.rt.Counters == nil {
				os.rt.Counters = map[string]int{}
			}
			if os.rt.Issued == nil {
				os.rt.Issued = map[string]int{}
			}
		}
	}
	for _, ws := range s.Windows {
		if os := w.offices[ws.Office]; os != nil {
			os.windows[ws.Number] = ws
		}
	}
	for _, t := range s.Tickets {
		if w.offices[t.Office] != nil {
			w.putTicket(t)
		}
	}
	for _, u := range s.Users {
		w.putUser(u)
	}
	for _, c := range s.Clients {
		w.clients[c.ID] = c
	}
	for _, c := range s.Creds {
		w.creds[c.Hash] = c
	}
	for _, b := range s.Bookings {
		w.putBooking(b)
	}
	for _, r := range s.Idem {
		w.idem[r.Key] = r
	}
	for office, seq := range s.Seqs {
		if office == "" {
			w.sysSeq = seq
		} else if os := w.offices[office]; os != nil {
			os.seq = seq
		}
	}
	w.nextID = s.NextTicketID
	return w, nil
}

// change is one step of state change, applied alike to both worlds and
// collected into the Batch the store commits.
type change interface {
	apply(w *world)
	addTo(b *Batch)
}

type ticketChange struct{ t *Ticket }
type windowChange struct{ ws *WindowState }
type runtimeChange struct {
	office string
	day    string
	closed bool
	// set holds counters to set; prefix "n:" for numbers, "s:" for issued counts.
	key string
	n   int
}
type configChange struct{ cat *catalog }
type userChange struct{ u *UserRecord }
type clientChange struct{ c *Client }
type credChange struct {
	hash string
	c    *Credential
}
type bookingChange struct{ b *Booking }
type idemChange struct {
	r       *IdemRecord
	expired string
}
type eventChange struct{ e *Event }
type nextIDChange struct{ n uint64 }

func (c ticketChange) apply(w *world)  { w.putTicket(c.t) }
func (c ticketChange) addTo(b *Batch)  { b.Tickets = append(b.Tickets, c.t) }
func (c windowChange) apply(w *world)  { w.offices[c.ws.Office].windows[c.ws.Number] = c.ws }
func (c windowChange) addTo(b *Batch)  { b.Windows = append(b.Windows, c.ws) }
func (c configChange) apply(w *world)  { w.putCatalog(c.cat) }
func (c configChange) addTo(b *Batch)  { b.Configs = append(b.Configs, c.cat.cfg) }
func (c userChange) apply(w *world)    { w.putUser(c.u) }
func (c userChange) addTo(b *Batch)    { b.Users = append(b.Users, c.u) }
func (c clientChange) apply(w *world)  { w.clients[c.c.ID] = c.c }
func (c clientChange) addTo(b *Batch)  { b.Clients = append(b.Clients, c.c) }
func (c bookingChange) apply(w *world) { w.putBooking(c.b) }
func (c bookingChange) addTo(b *Batch) { b.Bookings = append(b.Bookings, c.b) }
func (c nextIDChange) apply(w *world)  { w.nextID = c.n }
func (c nextIDChange) addTo(b *Batch)  { b.NextTicketID = c.n }
func (c credChange) addTo(b *Batch)    { b.Creds = append(b.Creds, CredChange{Hash: c.hash, Cred: c.c}) }
func (c eventChange) addTo(b *Batch)   { b.Events = append(b.Events, c.e) }
func (c runtimeChange) addTo(b *Batch) {} // the runtime is written whole, see batchOf
func (c runtimeChange) apply(w *world) { w.offices[c.office].setRuntime(c) }
func (c credChange) apply(w *world) {
	if c.c == nil {
		delete(w.creds, c.hash)
	} else {
		w.creds[c.hash] = c.c
	}
}
func (c idemChange) apply(w *world) {
	if c.r != nil {
		w.idem[c.r.Key] = c.r
	} else {
		delete(w.idem, c.expired)
	}
}
func (c idemChange) addTo(b *Batch) {
	if c.r != nil {
		b.Idem = append(b.Idem, c.r)
	} else {
		b.IdemExpired = append(b.IdemExpired, c.expired)
	}
}
func (c eventChange) apply(w *world) {
	if c.e.Office == "" {
		w.sysSeq = c.e.Seq
	} else {
		w.offices[c.e.Office].seq = c.e.Seq
	}
}

func (os *officeState) setRuntime(c runtimeChange) {
	if c.day != "" && c.day != os.rt.Day {
		os.rt.Day, os.rt.Closed = c.day, false
		os.rt.Counters, os.rt.Issued = map[string]int{}, map[string]int{}
	}
	switch {
	case c.key == "closed":
		os.rt.Closed = c.closed
	case len(c.key) > 2 && c.key[:2] == "n:":
		os.rt.Counters[c.key[2:]] = c.n
	case len(c.key) > 2 && c.key[:2] == "s:":
		os.rt.Issued[c.key[2:]] = c.n
	}
}

func (w *world) putCatalog(cat *catalog) {
	id := cat.cfg.Office.ID
	if os := w.offices[id]; os != nil {
		os.cat = cat
		return
	}
	w.offices[id] = newOfficeState(cat)
}

func (w *world) putUser(u *UserRecord) {
	if old := w.users[u.User.ID]; old != nil && w.logins[old.User.Login] == u.User.ID {
		delete(w.logins, old.User.Login)
	}
	w.users[u.User.ID] = u
	w.logins[u.User.Login] = u.User.ID
}

func (w *world) putBooking(b *Booking) {
	if old := w.bookings[b.ID]; old != nil {
		delete(w.bookingCodes, old.Code)
	}
	if b.Status == BookingBooked {
		w.bookings[b.ID] = b
		w.bookingCodes[b.Code] = b.ID
	} else {
		delete(w.bookings, b.ID)
		w.usedCodes[b.Code] = b
		if len(w.usedCodes) > w.usedCap { // keep about two days of them
			for code, u := range w.usedCodes {
				if u.At.Before(b.At.Add(-48 * time.Hour)) {
					delete(w.usedCodes, code)
				}
			}
			// Scan again only when the map has doubled, not at every booking
			// of a busy two days.
			w.usedCap = max(10000, 2*len(w.usedCodes))
		}
	}
}

// putTicket stores a new version of a ticket and keeps every index right.
func (w *world) putTicket(t *Ticket) {
	os := w.offices[t.Office]
	old := os.tickets[t.ID]
	// The number index changes only when a ticket comes or goes (a
	// number, once issued, stays): canonicalising it for every new
	// version was 3% of the writer's time.
	sameNumber := old != nil && old.Number == t.Number && t.Status.Active()
	if old != nil {
		if !sameNumber {
			os.byNumber.drop(old.Number, old.ID)
		}
		os.unindex(old)
		if len(t.History) > len(old.History) {
			os.learn(t.History[len(t.History)-1])
		}
	}
	if !t.Status.Active() {
		delete(os.tickets, t.ID)
		return
	}
	os.tickets[t.ID] = t
	if !sameNumber {
		os.byNumber.put(t.Number, t.ID)
	}
	os.index(t)
}

// learn folds a finished step into the service's moving average of service
// time, used to estimate waits.
func (os *officeState) learn(s Step) {
	d := s.FinishedAt.Sub(s.StartedAt).Seconds()
	if d <= 0 {
		return
	}
	if a, ok := os.avg[s.Service]; ok {
		os.avg[s.Service] = 0.8*a + 0.2*d
	} else {
		os.avg[s.Service] = d
	}
}

// index puts t in the queue lists its status calls for.
func (os *officeState) index(t *Ticket) {
	switch t.Status {
	case StatusWaiting:
		if t.BoundWindow > 0 {
			l := os.bound[t.BoundWindow]
			if l == nil {
				l = &tlist{less: byPlace}
				os.bound[t.BoundWindow] = l
			}
			l.insert(t)
			return
		}
		q := os.queues[t.Service]
		if q == nil {
			q = &serviceQueue{buckets: map[bucketKey]*tlist{}}
			os.queues[t.Service] = q
		}
		k := bucketKey{t.Category, !t.AppointmentAt.IsZero()}
		l := q.buckets[k]
		if l == nil {
			l = &tlist{less: byPlace}
			q.buckets[k] = l
		}
		l.insert(t)
		q.n++
	case StatusPostponed:
		os.postponed.insert(t)
	}
}

// unindex takes t out of the queue lists.
func (os *officeState) unindex(t *Ticket) {
	switch t.Status {
	case StatusWaiting:
		if t.BoundWindow > 0 {
			if l := os.bound[t.BoundWindow]; l != nil {
				l.remove(t)
				if len(l.items) == 0 {
					delete(os.bound, t.BoundWindow)
				}
			}
			return
		}
		q := os.queues[t.Service]
		if q == nil {
			return
		}
		k := bucketKey{t.Category, !t.AppointmentAt.IsZero()}
		if l := q.buckets[k]; l != nil && l.remove(t) {
			q.n--
			if len(l.items) == 0 {
				delete(q.buckets, k)
			}
		}
	case StatusPostponed:
		os.postponed.remove(t)
	}
}

// numberIndex finds active tickets by number (function 10, call a given
// number): for each canonical prefix, ticket ids by counter. Numbers are
// issued in order, so the lists only grow at their end: no hashing and no
// rehashing of a map that takes every ticket of a busy day.
type numberIndex map[string][]string

// splitNumber cuts a canonical number into its prefix and counter.
func splitNumber(canon string) (string, int, bool) {
	i := strings.IndexFunc(canon, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(canon[i:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return canon[:i], n, true
}

func (x numberIndex) put(number, id string) {
	p, n, ok := splitNumber(canonNumber(number))
	if !ok {
		return
	}
	l := x[p]
	if n >= len(l) {
		l = append(l, make([]string, n+1-len(l))...)
		x[p] = l
	}
	l[n] = id
}

func (x numberIndex) drop(number, id string) {
	if p, n, ok := splitNumber(canonNumber(number)); ok && n < len(x[p]) && x[p][n] == id {
		x[p][n] = ""
	}
}

// get returns the id of the active ticket with number, typed in any case,
// with Latin look-alike letters and without leading zeros; "" if none.
func (x numberIndex) get(number string) string {
	if p, n, ok := splitNumber(canonNumber(number)); ok && n < len(x[p]) {
		return x[p][n]
	}
	return ""
}

// tlist is a slice of tickets kept sorted by less, then by id.
type tlist struct {
	items []*Ticket
	less  func(a, b *Ticket) int
}

func byPlace(a, b *Ticket) int {
	return cmp.Or(a.QueueKey.Compare(b.QueueKey), cmpID(a.ID, b.ID))
}

func byUntil(a, b *Ticket) int {
	return cmp.Or(a.PostponedUntil.Compare(b.PostponedUntil), cmpID(a.ID, b.ID))
}

// cmpID orders numeric ids numerically.
func cmpID(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

// insert adds t in its place. A new ticket usually goes last (issued now)
// and a called one usually leaves first: both cost O(1), not a search and
// a shift of the whole queue.
func (l *tlist) insert(t *Ticket) {
	if n := len(l.items); n == 0 || l.less(l.items[n-1], t) < 0 {
		l.items = append(l.items, t)
		return
	}
	i, _ := slices.BinarySearchFunc(l.items, t, l.less)
	l.items = slices.Insert(l.items, i, t)
}

func (l *tlist) remove(t *Ticket) bool {
	i, ok := slices.BinarySearchFunc(l.items, t, l.less)
	if !ok {
		return false
	}
	if i == 0 {
		l.items[0] = nil // the array keeps the slot until it grows: let the ticket go
		l.items = l.items[1:]
		return true
	}
	l.items = slices.Delete(l.items, i, i+1)
	return true
}

func (l *tlist) head() *Ticket {
	if len(l.items) == 0 {
		return nil
	}
	return l.items[0]
}

// localDay returns the office's local date at t.
func (os *officeState) localDay(t time.Time) string {
	return os.cat.day(t)
}
