package queue

import (
	"encoding/json"
	"errors"
	"time"
)

// Store keeps the engine's state durably. The engine is its only writer and
// calls Commit from one goroutine; the read methods may be called from any.
// queue/bolt implements it on a bbolt file.
type Store interface {
	// Load reads everything the engine keeps in memory.
	Load() (*Snapshot, error)
	// Commit writes a batch in one transaction and returns only when it is
	// durable (fsync). On error nothing of the batch is visible.
	Commit(b *Batch) error
	// Events returns up to limit events of office with Seq > after, in order.
	Events(office string, after uint64, limit int) ([]*Event, error)
	// FirstSeq returns the Seq of the first event of office on local day or
	// later, and false when there is none.
	FirstSeq(office, day string) (uint64, bool, error)
	// Ticket returns a ticket by id. Returns ErrNotStored when there is none.
	Ticket(id string) (*Ticket, error)
	// Booking returns a booking by id. Returns ErrNotStored.
	Booking(id string) (*Booking, error)
}

// Preparer is a Store that can do the CPU work of a commit (encoding)
// before the commit itself. The writer calls Prepare as a batch grows, while
// the previous batch is still syncing, so the two overlap.
type Preparer interface {
	// Prepare readies what was added to b since the last call for Commit
	// and keeps what it made in b.Prepared.
	Prepare(b *Batch) error
}

// ErrNotStored is returned by Store reads for a key that is not stored.
var ErrNotStored = errors.New("not stored")

// Batch is what one group commit writes.
type Batch struct {
	Events       []*Event
	Tickets      []*Ticket // in order; a later version of a ticket replaces an earlier one
	Windows      []*WindowState
	Runtime      []*OfficeRuntime
	Configs      []*OfficeConfig
	Users        []*UserRecord
	Clients      []*Client
	Creds        []CredChange
	Bookings     []*Booking
	Idem         []*IdemRecord
	IdemExpired  []string
	NextTicketID uint64 // 0 when unchanged

	// Prepared is the store's own encoding of the batch, from Preparer.
	Prepared any
}

// Empty reports whether the batch writes nothing.
func (b *Batch) Empty() bool {
	return len(b.Events) == 0 && len(b.Tickets) == 0 && len(b.Windows) == 0 && len(b.Runtime) == 0 &&
		len(b.Configs) == 0 && len(b.Users) == 0 && len(b.Clients) == 0 && len(b.Creds) == 0 &&
		len(b.Bookings) == 0 && len(b.Idem) == 0 && len(b.IdemExpired) == 0 && b.NextTicketID == 0
}

// Snapshot is the state Load returns: configuration, runtime counters and
// every active ticket and booking.
type Snapshot struct {
	Configs      []*OfficeConfig
	Runtime      []*OfficeRuntime
	Windows      []*WindowState
	Tickets      []*Ticket // active tickets only
	Users        []*UserRecord
	Clients      []*Client
	Creds        []*Credential
	Bookings     []*Booking // status booked only
	Idem         []*IdemRecord
	Seqs         map[string]uint64 // last Seq per office ("" is the journal of people and clients)
	NextTicketID uint64
}

// OfficeRuntime is the day state of an office: the day, whether it was closed
// early, and the ticket counters.
type OfficeRuntime struct {
	Office   string         `json:"office"`
	Day      string         `json:"day"`
	Closed   bool           `json:"closed"`
	Counters map[string]int `json:"counters"` // prefix → last number issued today
	Issued   map[string]int `json:"issued"`   // service → tickets issued today
}

// UserRecord is a user with the hash of their password (empty: cannot log in).
type UserRecord struct {
	User         User   `json:"user"`
	PasswordHash string `json:"password_hash,omitempty"`
}

// Credential is a stored secret: a login session or a client's token, kept
// only as the SHA-256 of the token.
type Credential struct {
	Hash    string    `json:"hash"`
	Kind    string    `json:"kind"` // session or client
	Subject string    `json:"subject"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
}

// CredChange puts a credential, or deletes the one with Hash when Cred is nil.
type CredChange struct {
	Hash string
	Cred *Credential
}

// IdemRecord remembers the answer to a request with an Idempotency-Key.
type IdemRecord struct {
	Key         string          `json:"key"`
	Fingerprint string          `json:"fingerprint"`
	Result      json.RawMessage `json:"result"`
	At          time.Time       `json:"at"`
}
