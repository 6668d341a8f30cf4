package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Queue.
type Options struct {
	// Now is the clock; time.Now when nil. Tests move it by hand.
	Now func() time.Time
	// Logger receives engine errors; nothing when nil.
	Logger *slog.Logger
	// MaxBatch caps the commands committed together (default 1024).
	MaxBatch int
	// TickEvery is how often the engine returns postponed tickets, closes the
	// day at local midnight and expires sessions. 0 disables the background
	// ticks; tests call Tick instead.
	TickEvery time.Duration
	// RecentEvents is how many events per office are kept in memory for the
	// feed (default 4096); older ones are read from the store.
	RecentEvents int
}

// Queue is the engine: the only writer of state. Every command goes through
// one goroutine that applies commands in order and commits them to the store
// in groups (group commit): while one commit syncs, the next commands gather.
// A caller is answered only after its command is durable; events are published
// only after that too.
type Queue struct {
	store  Store
	now    func() time.Time
	log    *slog.Logger
	max    int
	in     chan *request
	stop   chan struct{}
	done   chan struct{}
	hub    *Hub
	recent int

	// w is the writer's world, touched only by the loop goroutine.
	w    *world
	last time.Time

	// Pipelined group commit: the loop applies a batch to w and hands it to
	// the committer, then applies the next batch while the first syncs.
	commits chan *inflight
	idle    chan commitDone // the committer is free again, after a batch
	epoch   uint64          // the writer's generation of w; a reload starts a new one
	failed  atomic.Uint64   // the epoch whose commit failed; its later batches fail too

	publishing func() // tests: called as the publisher takes each batch
	waiting    func() // tests: called as the writer starts waiting for callers to come back

	mu   sync.RWMutex
	r    *world              // committed state, guarded by mu
	ring map[string][]*Event // recent committed events per office, guarded by mu
}

type request struct {
	meta   Meta
	cmd    command
	fp     string
	out    any
	replay json.RawMessage
	err    error
	done   chan struct{}
}

// command is one unit of work for the writer. run reads the writer's world
// through c and stages changes with c.put; nothing staged is kept on error.
type command interface {
	run(c *txn) (any, error)
}

// Open loads the state from store and starts the writer.
func Open(store Store, o Options) (*Queue, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.RecentEvents <= 0 {
		o.RecentEvents = 4096
	}
	q := &Queue{store: store, now: o.Now, log: o.Logger, max: o.MaxBatch, recent: o.RecentEvents,
		in: make(chan *request, o.MaxBatch), stop: make(chan struct{}), done: make(chan struct{}),
		hub: newHub(), ring: map[string][]*Event{}, commits: make(chan *inflight, 1), idle: make(chan commitDone, 1), epoch: 1}
	if err := q.reload(); err != nil {
		return nil, err
	}
	committed := make(chan struct{})
	go q.committer(committed)
	go q.loop(o.TickEvery, committed)
	return q, nil
}

// reload rebuilds both worlds from the store.
func (q *Queue) reload() error {
	snap, err := q.store.Load()
	if err != nil {
		return fmt.Errorf("queue: load: %w", err)
	}
	w, err := worldFrom(snap)
	if err != nil {
		return fmt.Errorf("queue: load: %w", err)
	}
	r, _ := worldFrom(snap)
	q.w = w
	q.mu.Lock()
	q.r = r
	q.mu.Unlock()
	return nil
}

// Close stops the writer after the commands already sent are done.
func (q *Queue) Close() error {
	select {
	case <-q.stop:
	default:
		close(q.stop)
	}
	<-q.done
	return nil
}

// Hub returns the fan-out of committed events.
func (q *Queue) Hub() *Hub { return q.hub }

// Tick runs the engine's timed work now (postponed tickets coming back, the
// close of day, expired sessions and bookings) and waits until it is durable.
func (q *Queue) Tick(ctx context.Context) error {
	_, err := run[struct{}](ctx, q, Meta{Principal: System()}, tickCmd{})
	return err
}

// run sends cmd to the writer and waits for its answer. A repeated
// Idempotency-Key with the same command returns the first answer.
func run[R any](ctx context.Context, q *Queue, m Meta, cmd command) (R, error) {
	var zero R
	r := &request{meta: m, cmd: cmd, done: make(chan struct{})}
	if m.IdempotencyKey != "" {
		b, err := json.Marshal(cmd)
		if err != nil {
			return zero, fmt.Errorf("queue: fingerprint: %w", err)
		}
		h := sha256.Sum256(append([]byte(reflect.TypeOf(cmd).String()+"\x00"), b...))
		r.fp = hex.EncodeToString(h[:])
	}
	select {
	case q.in <- r:
	case <-q.stop:
		return zero, E(KindUnavailable, CodeUnavailable)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case <-r.done:
	case <-q.done: // sent as the engine stopped: nobody will answer
		select {
		case <-r.done:
		default:
			return zero, E(KindUnavailable, CodeUnavailable)
		}
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if r.err != nil {
		return zero, r.err
	}
	if r.replay != nil {
		var out R
		if err := json.Unmarshal(r.replay, &out); err != nil {
			return zero, fmt.Errorf("queue: replay: %w", err)
		}
		return out, nil
	}
	out, _ := r.out.(R)
	return out, nil
}

func (q *Queue) loop(every time.Duration, committed <-chan struct{}) {
	defer func() {
		close(q.commits)
		<-committed
		close(q.done)
	}()
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	// open is applied to w and not yet handed over. It is handed over when
	// the committer is free, so each commit carries everything that came
	// while the last one synced. After a commit that took a while the
	// writer first waits for as many requests as that commit answered:
	// their callers are about to come back, and a commit costs about the
	// same for one request as for sixty (two syncs), so each one that
	// left early would cost a whole commit. The wait lasts at most half
	// the last commit's time, 5 ms at most, timed from the first request
	// after the commit (the publisher answers after it, so the callers'
	// own requests come later than the commit's end), or at once when
	// requests are already waiting; they count towards the number, as
	// some may be those callers, already back. A first request that comes
	// later than a whole commit's time after it is not one of them: it
	// is handed over without a wait.
	var (
		open      *inflight
		free      = true
		want      int
		lingerFor time.Duration // armed by a slow commit, started by the next request
		lingerBy  time.Time     // a wait not started by then is dropped
		lingerT   = time.NewTimer(time.Hour)
		linger    <-chan time.Time
	)
	lingerT.Stop()
	add := func(r *request) {
		if open == nil {
			if q.failed.Load() == q.epoch {
				// A commit failed: w holds changes that are not on disk.
				// Wait for the batch in flight (it fails too), then start
				// again from the store.
				if !free {
					<-q.idle
					free = true
				}
				if err := q.reload(); err != nil {
					// w still holds what was not committed: stay in the
					// failed epoch, so every batch fails with unavailable
					// and the next one tries the reload again.
					q.log.Error("reload after failed commit", "err", err)
				} else {
					q.epoch++
				}
			}
			open = &inflight{epoch: q.epoch, batch: &Batch{}, offices: map[string]bool{}}
		}
		q.apply(open, r)
		q.stage(open)
	}
	handoff := func() {
		if len(open.changes) > 0 {
			// Office runtimes are written whole, as they stand now.
			for _, id := range sortedKeys(open.offices) {
				rt := q.w.offices[id].rt
				open.batch.Runtime = append(open.batch.Runtime, &OfficeRuntime{Office: rt.Office, Day: rt.Day, Closed: rt.Closed,
					Counters: cloneMap(rt.Counters), Issued: cloneMap(rt.Issued)})
			}
		} else {
			open.batch = nil
		}
		q.commits <- open
		open, free, want, lingerFor, linger = nil, false, 0, 0, nil
		lingerT.Stop()
	}
	for {
		in := q.in
		if open != nil && len(open.reqs) >= q.max {
			in = nil
		}
		var idle <-chan commitDone
		if !free {
			idle = q.idle
		}
		select {
		case r := <-in:
			add(r)
		gather:
			for len(open.reqs) < q.max {
				select {
				case r := <-q.in:
					add(r)
				default:
					break gather
				}
			}
		case <-tick:
			add(&request{meta: Meta{Principal: System()}, cmd: tickCmd{}, done: make(chan struct{})})
		case d := <-idle:
			free = true
			if wait := d.took / 2; wait > 50*time.Microsecond {
				want, lingerFor, lingerBy = d.answered, min(wait, 5*time.Millisecond), time.Now().Add(d.took)
			}
		case <-linger:
			want, lingerFor, linger = 0, 0, nil
		case <-q.stop:
			// Finish what was already sent, then refuse the rest.
			for {
				select {
				case r := <-q.in:
					add(r)
					continue
				default:
				}
				break
			}
			if open != nil {
				if !free {
					<-q.idle
				}
				handoff()
			}
			return
		}
		if lingerFor > 0 && linger == nil && open != nil {
			if time.Now().After(lingerBy) {
				want, lingerFor = 0, 0
			} else {
				lingerT.Reset(lingerFor)
				linger = lingerT.C
				if q.waiting != nil {
					q.waiting()
				}
			}
		}
		if free && open != nil && (len(open.reqs) >= want || len(open.reqs) >= q.max) {
			handoff()
		}
	}
}

// clock returns the time for the next command, in UTC and never earlier than
// the last (a clock stepped back must not reorder the journal).
func (q *Queue) clock() time.Time {
	t := q.now().UTC()
	if t.Before(q.last) {
		t = q.last
	}
	q.last = t
	return t
}

// commitDone tells the writer the committer is free: how long the last
// batch took and how many requests it answered.
type commitDone struct {
	took     time.Duration
	answered int
}

// inflight is a batch applied to the writer's world and waiting for its
// commit.
type inflight struct {
	reqs    []*request
	changes []change
	batch   *Batch          // what the store writes, built as commands are applied
	staged  int             // changes already in batch
	offices map[string]bool // offices whose runtime the batch writes
	epoch   uint64
}

// stage adds the changes of the commands applied since the last call to the
// batch and lets the store encode them at once: that work then overlaps the
// commit of the previous batch instead of delaying this one.
func (q *Queue) stage(f *inflight) {
	if f.staged == len(f.changes) {
		return
	}
	for _, ch := range f.changes[f.staged:] {
		ch.addTo(f.batch)
		if rc, ok := ch.(runtimeChange); ok {
			f.offices[rc.office] = true
		}
	}
	f.staged = len(f.changes)
	if p, ok := q.store.(Preparer); ok && q.failed.Load() != f.epoch {
		if err := p.Prepare(f.batch); err != nil {
			q.log.Error("prepare failed; state reloaded from the store", "err", err, "commands", len(f.reqs))
			q.failed.Store(f.epoch) // the committer fails this batch
		}
	}
}

// apply runs one command against the writer's world and adds it, with its
// changes, to the open batch f. Every request goes through the committer,
// also one without changes: an answer read from uncommitted state (a
// replay, "queue empty") must not overtake the commit it depends on.
func (q *Queue) apply(f *inflight, r *request) {
	f.reqs = append(f.reqs, r)
	var key string
	if r.meta.IdempotencyKey != "" {
		key = idemKey(r.meta)
		if rec := q.w.idem[key]; rec != nil {
			if rec.Fingerprint != r.fp {
				r.err = E(KindInvalid, CodeIdempotencyMismatch)
			} else {
				r.replay = rec.Result
			}
			return
		}
	}
	c := &txn{q: q, w: q.w, now: q.clock(), meta: r.meta, batch: &f.changes}
	out, err := r.cmd.run(c)
	if err != nil {
		r.err = err
		return
	}
	c.commit()
	if key != "" {
		b, err := json.Marshal(out)
		if err != nil {
			r.err = fmt.Errorf("queue: remember answer: %w", err)
			return
		}
		c.put(idemChange{r: &IdemRecord{Key: key, Fingerprint: r.fp, Result: b, At: c.now}})
		c.commit()
	}
	r.out = out
}

// committer writes batches in the order the writer applied them and hands
// each committed batch to the publisher, which makes it visible to readers
// and subscribers and answers its callers: the next commit starts while the
// last one is published. When a commit fails, it and every later batch of
// the same epoch fail with unavailable, and the writer reloads its world
// from the store once every earlier batch is published.
func (q *Queue) committer(done chan<- struct{}) {
	defer close(done)
	published := make(chan *inflight, 4)
	var inPublisher sync.WaitGroup
	go q.publisher(published, &inPublisher)
	defer func() {
		close(published)
		inPublisher.Wait()
	}()
	for f := range q.commits {
		start := time.Now()
		ok := f.epoch != q.failed.Load()
		if ok && f.batch != nil {
			if err := q.store.Commit(f.batch); err != nil {
				q.log.Error("commit failed; state reloaded from the store", "err", err, "commands", len(f.reqs))
				q.failed.Store(f.epoch)
				ok = false
			}
		}
		if !ok {
			// Earlier batches are answered first, and the writer's reload
			// (after idle) must not race the publisher over r.
			inPublisher.Wait()
			for _, r := range f.reqs {
				if r.err == nil || ErrorKind(r.err) != KindInvalid {
					r.err, r.out, r.replay = E(KindUnavailable, CodeUnavailable), nil, nil
				}
				close(r.done)
			}
			q.idle <- commitDone{took: time.Since(start), answered: len(f.reqs)}
			continue
		}
		took := time.Since(start)
		inPublisher.Add(1)
		published <- f
		q.idle <- commitDone{took: took, answered: len(f.reqs)}
	}
}

// publisher applies committed batches to the readers' world, in order,
// sends their events to subscribers and answers their callers.
func (q *Queue) publisher(batches <-chan *inflight, inPublisher *sync.WaitGroup) {
	for f := range batches {
		if q.publishing != nil {
			q.publishing()
		}
		if f.batch != nil {
			q.mu.Lock()
			for _, ch := range f.changes {
				ch.apply(q.r)
			}
			for _, e := range f.batch.Events {
				ring := append(q.ring[e.Office], e)
				if len(ring) > q.recent {
					ring = append(ring[:0:0], ring[len(ring)-q.recent/2:]...)
				}
				q.ring[e.Office] = ring
			}
			q.mu.Unlock()
			q.hub.publish(f.batch.Events)
		}
		for _, r := range f.reqs {
			close(r.done)
		}
		inPublisher.Done()
	}
}

func idemKey(m Meta) string {
	id := ""
	if m.Principal != nil {
		id = m.Principal.Kind + ":" + m.Principal.ID
	}
	return id + "\x00" + m.IdempotencyKey
}

func cloneMap(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// txn is the context of one command in the writer: the writer's world, the
// command's time and caller, and the changes it stages.
type txn struct {
	q       *Queue
	w       *world
	now     time.Time
	meta    Meta
	pending []change
	seqs    []officeSeq         // events staged per office (a command touches one or two)
	ids     uint64              // ticket ids staged
	cats    map[string]*catalog // offices created by this command
	batch   *[]change
}

// put stages a change; it is applied when the command succeeds.
func (c *txn) put(ch change) { c.pending = append(c.pending, ch) }

// commit applies the staged changes to the writer's world and adds them to
// the batch. Commands call it only through apply, or for work that stands
// on its own (a day rolled over before the command that noticed it).
func (c *txn) commit() {
	for _, ch := range c.pending {
		ch.apply(c.w)
		*c.batch = append(*c.batch, ch)
	}
	c.pending = c.pending[:0]
	c.seqs = c.seqs[:0]
	c.ids = 0
}

// officeSeq counts the events a command has staged for an office.
type officeSeq struct {
	office string
	n      uint64
}

// emit stages an event with the next Seq of office.
func (c *txn) emit(office string, typ EventType, fill func(e *Event)) *Event {
	var base uint64
	var day string
	switch os, cat := c.w.offices[office], c.cats[office]; {
	case os != nil:
		base, day = os.seq, os.localDay(c.now)
	case office != "" && cat != nil:
		day = cat.day(c.now) // an office being created in this command
	default:
		day = c.now.UTC().Format(time.DateOnly)
		if office == "" {
			base = c.w.sysSeq
		}
	}
	i := slices.IndexFunc(c.seqs, func(s officeSeq) bool { return s.office == office })
	if i < 0 {
		i = len(c.seqs)
		c.seqs = append(c.seqs, officeSeq{office: office})
	}
	c.seqs[i].n++
	e := &Event{Seq: base + c.seqs[i].n, Office: office, Type: typ, At: c.now, Day: day, Actor: c.meta.actor()}
	if fill != nil {
		fill(e)
	}
	c.put(eventChange{e})
	return e
}

// newTicketID stages and returns the next ticket id.
func (c *txn) newTicketID() string {
	c.ids++
	n := c.w.nextID + c.ids
	c.put(nextIDChange{n})
	return strconv.FormatUint(n, 10)
}

// principal returns the caller, the system when none.
func (c *txn) principal() *Principal {
	if c.meta.Principal == nil {
		return System()
	}
	return c.meta.Principal
}

// require fails unless the caller holds perm in office.
func (c *txn) require(perm Perm, office string) error {
	p := c.principal()
	if !slices.Contains(p.Perms, perm) {
		return E(KindForbidden, CodeForbidden, "perm", string(perm))
	}
	if p.Office != "" && p.Office != office {
		return E(KindForbidden, CodeOfficeForbidden)
	}
	if !p.Can(perm, office) {
		return E(KindForbidden, CodeForbidden, "perm", string(perm))
	}
	return nil
}

// office returns the writer's state of an office, first closing the previous
// day if the local date has changed since the office last worked.
func (c *txn) office(id string) (*officeState, error) {
	os := c.w.offices[id]
	if os == nil {
		return nil, E(KindNotFound, CodeOfficeNotFound, "office", id)
	}
	if day := os.localDay(c.now); os.rt.Day != day {
		roll := &txn{q: c.q, w: c.w, now: c.now, meta: Meta{Principal: System()}, batch: c.batch}
		roll.rollDay(os, day)
		roll.commit()
	}
	return os, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
