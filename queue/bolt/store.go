package bolt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/talon-queue/talon/queue"
)

var _ queue.Store = (*Store)(nil)

// schemaVersion is the layout of the buckets; migrations move older files up.
// 2: active tickets are found from a low-water ticket id (kActiveFrom), not
// through an index bucket.
const schemaVersion = 2

var (
	bMeta     = []byte("meta")
	bOffices  = []byte("offices")
	bRuntime  = []byte("runtime")
	bWindows  = []byte("windows")
	bTickets  = []byte("tickets")
	bActive   = []byte("active") // schema 1 only: removed by the migration to 2
	bUsers    = []byte("users")
	bClients  = []byte("clients")
	bCreds    = []byte("creds")
	bBookings = []byte("bookings")
	bBooked   = []byte("booked")
	bIdem     = []byte("idem")
	bEvents   = []byte("events")
	bDays     = []byte("days")

	kSchema = []byte("schema")
	kNextID = []byte("next_ticket_id")
	// kActiveFrom is the lowest ticket id that may be active: every active
	// ticket has an id at or above it.
	kActiveFrom = []byte("active_from")

	allBuckets = [][]byte{bMeta, bOffices, bRuntime, bWindows, bTickets, bUsers,
		bClients, bCreds, bBookings, bBooked, bIdem, bEvents, bDays}
)

// Options tune a Store.
type Options struct {
	// SyncDelay is a test hook that makes every sync this much slower, like
	// an office server's hard drive. A bbolt commit syncs twice (data pages,
	// then the meta page), so a commit is delayed by twice SyncDelay.
	SyncDelay time.Duration
}

// Store is the bbolt implementation of queue.Store: one file, every commit
// synced to disk before it returns.
type Store struct {
	db    *bolt.DB
	delay time.Duration

	mu      sync.Mutex        // guards lastDay and active (written by Commit; active first by Load)
	lastDay map[string]string // office → last day indexed in bDays
	active  activeIDs
}

// activeIDs are the ids of the active tickets on disk and the low-water mark
// stored with them. Keeping them here, instead of an index bucket, saves a
// B+tree put or delete per ticket version: a fifth of bbolt's work in a
// commit. Load scans the tickets from the mark (today's, in practice).
type activeIDs struct {
	ids  map[uint64]bool
	low  uint64 // every active id is at or above it
	high uint64 // the highest id written
}

// lowest returns the low-water mark for the current set.
func (a *activeIDs) lowest() uint64 {
	low := a.low
	for low <= a.high && !a.ids[low] {
		low++
	}
	return low
}

// appendFill is how full bbolt packs a page it splits, for buckets whose
// keys only grow (ticket ids, event Seqs, days): bbolt's default of half
// suits random keys and leaves half of every page of an append-only bucket
// empty, twice the bytes written per commit.
const appendFill = 0.95

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("bolt: the data file is in use by another process")

// Open opens (creating when missing) the store at path. A second process
// opening the same file fails after a second with ErrLocked instead of
// hanging.
func Open(path string, o Options) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o600, options())
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	s := &Store{db: db, delay: o.SyncDelay, lastDay: map[string]string{}}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func options() *bolt.Options {
	return &bolt.Options{Timeout: time.Second, InitialMmapSize: 256 << 20, FreelistType: bolt.FreelistMapType}
}

// create makes a new file beside path, fills it with the empty buckets, syncs
// it and renames it into place: a power cut while a new bbolt file is first
// written can leave it corrupt, a rename cannot.
func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("bolt: create dir: %w", err)
	}
	tmp := path + ".new"
	os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, options())
	if err != nil {
		return fmt.Errorf("bolt: create %s: %w", tmp, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bMeta).Put(kActiveFrom, u64(1)); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kSchema, u64(schemaVersion))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bolt: init %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bolt: rename %s: %w", tmp, err)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("bolt: sync dir: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("bolt: sync dir: %w", err)
	}
	return nil
}

// migrate brings an older file up to schemaVersion and refuses a newer one.
func (s *Store) migrate() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bolt: bucket %s: %w", b, err)
			}
		}
		meta := tx.Bucket(bMeta)
		v := uint64(0)
		if raw := meta.Get(kSchema); raw != nil {
			v = binary.BigEndian.Uint64(raw)
		}
		if v > schemaVersion {
			return fmt.Errorf("bolt: the data file has schema %d, newer than this program's %d", v, schemaVersion)
		}
		// Version 0 is a file created before the schema key existed; its
		// buckets were created just above. Later migrations go here in order.
		if v < 2 {
			// The lowest indexed active id becomes the low-water mark.
			from := uint64(1)
			if raw := meta.Get(kNextID); raw != nil {
				from = binary.BigEndian.Uint64(raw) + 1
			}
			if ab := tx.Bucket(bActive); ab != nil {
				if k, _ := ab.Cursor().First(); k != nil {
					from = binary.BigEndian.Uint64(k)
				}
				if err := tx.DeleteBucket(bActive); err != nil {
					return fmt.Errorf("bolt: migrate to 2: %w", err)
				}
			}
			if err := meta.Put(kActiveFrom, u64(from)); err != nil {
				return err
			}
		}
		if v != schemaVersion {
			return meta.Put(kSchema, u64(schemaVersion))
		}
		return nil
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Backup writes a consistent copy of the file to w while the server keeps
// serving (a read transaction; writers are not blocked).
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func idKey(id string) ([]byte, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return nil, false
	}
	return u64(n), true
}

func eventsBucketName(office string) []byte {
	if office == "" {
		return []byte("_")
	}
	return []byte(office)
}

func windowKey(office string, n int) []byte {
	return append([]byte(office+"/"), u64(uint64(n))...)
}

func put(b *bolt.Bucket, k []byte, v any) error {
	var raw []byte
	var err error
	if ws, ok := v.(*queue.WindowState); ok {
		raw, err = ws.AppendJSON(nil) // json.Marshal's bytes; every call and finish writes one
	} else {
		raw, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// prepared is a batch's tickets and events encoded ahead of its commit.
type prepared struct {
	tickets [][]byte // one per ticket version of the batch, in order
	events  [][]byte // one per event of the batch, in order
	buf     []byte   // where they are written, a chunk at a time
	chunks  [][]byte // every chunk, to be used again after the commit
}

// Records are written into chunks of this size, used again batch after
// batch: the encoded batch is most of what the server allocates per ticket
// otherwise, and the garbage collector's work grows with it.
const chunkSize = 64 << 10

var chunks = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// encode appends one record to the current chunk and returns it. bbolt keeps
// a value until its transaction ends, so records are never written over
// before the commit: a full chunk is left to them and a new one begun.
func (p *prepared) encode(enc func([]byte) ([]byte, error)) ([]byte, error) {
	const room = 4 << 10 // a usual record fits; a longer one grows the chunk
	if cap(p.buf)-len(p.buf) < room {
		c := chunks.Get().(*[chunkSize]byte)
		p.buf = c[:0]
		p.chunks = append(p.chunks, p.buf)
	}
	n := len(p.buf)
	b, err := enc(p.buf)
	if err != nil {
		return nil, err
	}
	p.buf = b
	return b[n:len(b):len(b)], nil
}

// release gives the chunks back once the transaction that held the records
// has ended.
func (p *prepared) release() {
	for _, c := range p.chunks {
		chunks.Put((*[chunkSize]byte)(c[:chunkSize]))
	}
	p.chunks, p.buf, p.tickets, p.events = nil, nil, nil, nil
}

var _ queue.Preparer = (*Store)(nil)

// Prepare encodes the tickets and events added to the batch since the last
// call, the bulk of a commit's CPU work, so that the engine can do it while
// the previous batch syncs. Tickets and events have their own encoders
// (queue's AppendJSON, the same bytes as encoding/json without its
// reflection): they are most of what the server writes.
func (s *Store) Prepare(b *queue.Batch) error {
	p, _ := b.Prepared.(*prepared)
	if p == nil {
		p = &prepared{}
		b.Prepared = p
	}
	for _, t := range b.Tickets[len(p.tickets):] {
		raw, err := p.encode(t.AppendJSON)
		if err != nil {
			return fmt.Errorf("bolt: encode ticket %s: %w", t.ID, err)
		}
		p.tickets = append(p.tickets, raw)
	}
	for _, e := range b.Events[len(p.events):] {
		raw, err := p.encode(e.AppendJSON)
		if err != nil {
			return fmt.Errorf("bolt: encode event %s/%d: %w", e.Office, e.Seq, err)
		}
		p.events = append(p.events, raw)
	}
	return nil
}

// Commit writes the batch in one transaction; bbolt syncs it before Update
// returns.
func (s *Store) Commit(b *queue.Batch) error {
	if err := s.Prepare(b); err != nil { // what the engine has not prepared yet
		return err
	}
	p := b.Prepared.(*prepared)
	defer p.release()
	// A ticket changed twice in one batch is written once, in its last version.
	last := make(map[string]int, len(b.Tickets))
	for i, t := range b.Tickets {
		last[t.ID] = i
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	newDays := map[string]string{}
	// The active set changes as tickets are written; a failed commit puts
	// it back.
	undo, oldHigh, oldLow, newLow := map[uint64]bool{}, s.active.high, s.active.low, s.active.low
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, cfg := range b.Configs {
			if err := put(tx.Bucket(bOffices), []byte(cfg.Office.ID), cfg); err != nil {
				return fmt.Errorf("put office %s: %w", cfg.Office.ID, err)
			}
		}
		for _, rt := range b.Runtime {
			if err := put(tx.Bucket(bRuntime), []byte(rt.Office), rt); err != nil {
				return fmt.Errorf("put runtime %s: %w", rt.Office, err)
			}
		}
		for _, ws := range b.Windows {
			if err := put(tx.Bucket(bWindows), windowKey(ws.Office, ws.Number), ws); err != nil {
				return fmt.Errorf("put window %s/%d: %w", ws.Office, ws.Number, err)
			}
		}
		if s.active.ids == nil { // a commit before any load: read the set once
			_, ids, err := readActive(tx)
			if err != nil {
				return fmt.Errorf("active tickets: %w", err)
			}
			s.active, oldHigh, oldLow = ids, ids.high, ids.low
		}
		tickets := tx.Bucket(bTickets)
		tickets.FillPercent = appendFill
		for i, t := range b.Tickets {
			if last[t.ID] != i {
				continue
			}
			k, ok := idKey(t.ID)
			if !ok {
				return fmt.Errorf("ticket id %q is not numeric", t.ID)
			}
			if err := tickets.Put(k, p.tickets[i]); err != nil {
				return fmt.Errorf("put ticket %s: %w", t.ID, err)
			}
			n := binary.BigEndian.Uint64(k)
			if _, seen := undo[n]; !seen {
				undo[n] = s.active.ids[n]
			}
			if t.Status.Active() {
				s.active.ids[n] = true
				s.active.low = min(s.active.low, n) // should a closed ticket ever come back
			} else {
				delete(s.active.ids, n)
			}
			s.active.high = max(s.active.high, n)
		}
		if newLow = s.active.lowest(); newLow != oldLow {
			if err := tx.Bucket(bMeta).Put(kActiveFrom, u64(newLow)); err != nil {
				return fmt.Errorf("put active mark: %w", err)
			}
		}
		for _, u := range b.Users {
			if err := put(tx.Bucket(bUsers), []byte(u.User.ID), u); err != nil {
				return fmt.Errorf("put user %s: %w", u.User.ID, err)
			}
		}
		for _, c := range b.Clients {
			if err := put(tx.Bucket(bClients), []byte(c.ID), c); err != nil {
				return fmt.Errorf("put client %s: %w", c.ID, err)
			}
		}
		for _, c := range b.Creds {
			var err error
			if c.Cred == nil {
				err = tx.Bucket(bCreds).Delete([]byte(c.Hash))
			} else {
				err = put(tx.Bucket(bCreds), []byte(c.Hash), c.Cred)
			}
			if err != nil {
				return fmt.Errorf("put credential: %w", err)
			}
		}
		for _, bk := range b.Bookings {
			k, ok := idKey(bk.ID)
			if !ok {
				return fmt.Errorf("booking id %q is not numeric", bk.ID)
			}
			if err := put(tx.Bucket(bBookings), k, bk); err != nil {
				return fmt.Errorf("put booking %s: %w", bk.ID, err)
			}
			var err error
			if bk.Status == queue.BookingBooked {
				err = tx.Bucket(bBooked).Put(k, nil)
			} else {
				err = tx.Bucket(bBooked).Delete(k)
			}
			if err != nil {
				return fmt.Errorf("index booking %s: %w", bk.ID, err)
			}
		}
		for _, r := range b.Idem {
			if err := put(tx.Bucket(bIdem), []byte(r.Key), r); err != nil {
				return fmt.Errorf("put idempotency record: %w", err)
			}
		}
		for _, k := range b.IdemExpired {
			if err := tx.Bucket(bIdem).Delete([]byte(k)); err != nil {
				return fmt.Errorf("delete idempotency record: %w", err)
			}
		}
		if b.NextTicketID != 0 {
			if err := tx.Bucket(bMeta).Put(kNextID, u64(b.NextTicketID)); err != nil {
				return fmt.Errorf("put next id: %w", err)
			}
		}
		return s.putEvents(tx, b.Events, p.events, newDays)
	})
	if err != nil {
		for n, was := range undo {
			if was {
				s.active.ids[n] = true
			} else {
				delete(s.active.ids, n)
			}
		}
		s.active.high, s.active.low = oldHigh, oldLow
		return fmt.Errorf("bolt: commit: %w", err)
	}
	s.active.low = newLow
	for office, day := range newDays {
		s.lastDay[office] = day
	}
	if s.delay > 0 {
		time.Sleep(2 * s.delay)
	}
	return nil
}

// putEvents appends events to their office logs and indexes the first event
// of each local day.
func (s *Store) putEvents(tx *bolt.Tx, events []*queue.Event, raw [][]byte, newDays map[string]string) error {
	var office string
	var eb, db *bolt.Bucket
	for i, e := range events {
		if eb == nil || e.Office != office {
			office = e.Office
			var err error
			name := eventsBucketName(office)
			if eb, err = tx.Bucket(bEvents).CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("events bucket %s: %w", office, err)
			}
			if db, err = tx.Bucket(bDays).CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("days bucket %s: %w", office, err)
			}
			eb.FillPercent, db.FillPercent = appendFill, appendFill
		}
		if err := eb.Put(u64(e.Seq), raw[i]); err != nil {
			return fmt.Errorf("put event %s/%d: %w", office, e.Seq, err)
		}
		last, ok := newDays[office]
		if !ok {
			last, ok = s.lastDay[office]
		}
		if !ok {
			if k, _ := db.Cursor().Last(); k != nil {
				last = string(k)
			}
		}
		if e.Day > last {
			if err := db.Put([]byte(e.Day), u64(e.Seq)); err != nil {
				return fmt.Errorf("index day %s: %w", e.Day, err)
			}
			last = e.Day
		}
		newDays[office] = last
	}
	return nil
}

// Load reads the configuration, runtime and every active ticket and booking.
func (s *Store) Load() (*queue.Snapshot, error) {
	snap := &queue.Snapshot{Seqs: map[string]uint64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := each(tx.Bucket(bOffices), func(_, v []byte) error {
			return decode(v, &snap.Configs)
		}); err != nil {
			return fmt.Errorf("offices: %w", err)
		}
		if err := each(tx.Bucket(bRuntime), func(_, v []byte) error { return decode(v, &snap.Runtime) }); err != nil {
			return fmt.Errorf("runtime: %w", err)
		}
		if err := each(tx.Bucket(bWindows), func(_, v []byte) error { return decode(v, &snap.Windows) }); err != nil {
			return fmt.Errorf("windows: %w", err)
		}
		active, ids, err := readActive(tx)
		if err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
		snap.Tickets = active
		s.mu.Lock()
		if s.active.ids == nil { // the first load: from now on Commit keeps it
			s.active = ids
		}
		s.mu.Unlock()
		if err := each(tx.Bucket(bUsers), func(_, v []byte) error { return decode(v, &snap.Users) }); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if err := each(tx.Bucket(bClients), func(_, v []byte) error { return decode(v, &snap.Clients) }); err != nil {
			return fmt.Errorf("clients: %w", err)
		}
		if err := each(tx.Bucket(bCreds), func(_, v []byte) error { return decode(v, &snap.Creds) }); err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		bookings := tx.Bucket(bBookings)
		if err := each(tx.Bucket(bBooked), func(k, _ []byte) error {
			return decode(bookings.Get(k), &snap.Bookings)
		}); err != nil {
			return fmt.Errorf("bookings: %w", err)
		}
		if err := each(tx.Bucket(bIdem), func(_, v []byte) error { return decode(v, &snap.Idem) }); err != nil {
			return fmt.Errorf("idempotency: %w", err)
		}
		if raw := tx.Bucket(bMeta).Get(kNextID); raw != nil {
			snap.NextTicketID = binary.BigEndian.Uint64(raw)
		}
		return tx.Bucket(bEvents).ForEachBucket(func(name []byte) error {
			office := string(name)
			if office == "_" {
				office = ""
			}
			if k, _ := tx.Bucket(bEvents).Bucket(name).Cursor().Last(); k != nil {
				snap.Seqs[office] = binary.BigEndian.Uint64(k)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: load: %w", err)
	}
	return snap, nil
}

func each(b *bolt.Bucket, fn func(k, v []byte) error) error { return b.ForEach(fn) }

// readActive reads the active tickets, from the low-water mark on, and the
// set of their ids.
func readActive(tx *bolt.Tx) ([]*queue.Ticket, activeIDs, error) {
	from := uint64(1)
	if raw := tx.Bucket(bMeta).Get(kActiveFrom); raw != nil {
		from = binary.BigEndian.Uint64(raw)
	}
	a := activeIDs{ids: map[uint64]bool{}, low: from, high: from - 1}
	var out []*queue.Ticket
	c := tx.Bucket(bTickets).Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		var t queue.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, activeIDs{}, fmt.Errorf("ticket %d: %w", binary.BigEndian.Uint64(k), err)
		}
		n := binary.BigEndian.Uint64(k)
		a.high = n
		if t.Status.Active() {
			a.ids[n] = true
			out = append(out, &t)
		}
	}
	return out, a, nil
}

// decode appends the JSON value raw to the slice *into.
func decode[T any](raw []byte, into *[]*T) error {
	if raw == nil {
		return errors.New("dangling index entry")
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	*into = append(*into, v)
	return nil
}

// Events returns up to limit events of office with Seq > after.
func (s *Store) Events(office string, after uint64, limit int) ([]*queue.Event, error) {
	var out []*queue.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bEvents).Bucket(eventsBucketName(office))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			if err := decode(v, &out); err != nil {
				return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: events %s: %w", office, err)
	}
	return out, nil
}

// FirstSeq returns the first Seq of office on day or later.
func (s *Store) FirstSeq(office, day string) (uint64, bool, error) {
	var seq uint64
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDays).Bucket(eventsBucketName(office))
		if b == nil {
			return nil
		}
		if k, v := b.Cursor().Seek([]byte(day)); k != nil {
			seq, ok = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	return seq, ok, err
}

// Ticket returns a stored ticket.
func (s *Store) Ticket(id string) (*queue.Ticket, error) {
	k, ok := idKey(id)
	if !ok {
		return nil, queue.ErrNotStored
	}
	return get[queue.Ticket](s, bTickets, k)
}

// Booking returns a stored booking.
func (s *Store) Booking(id string) (*queue.Booking, error) {
	k, ok := idKey(id)
	if !ok {
		return nil, queue.ErrNotStored
	}
	return get[queue.Booking](s, bBookings, k)
}

func get[T any](s *Store, bucket, k []byte) (*T, error) {
	var out []*T
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get(k)
		if v == nil {
			return queue.ErrNotStored
		}
		return decode(v, &out)
	})
	if err != nil {
		if errors.Is(err, queue.ErrNotStored) {
			return nil, err
		}
		return nil, fmt.Errorf("bolt: get %s: %w", bucket, err)
	}
	return out[0], nil
}
