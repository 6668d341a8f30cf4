package board_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talon-queue/talon/board"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

// boardDevice is a hall board of the test office: it may read the display
// feed only, so it sees no personal data.
func boardDevice() *queue.Principal {
	return &queue.Principal{Kind: "client", ID: "board-1", Name: "Табло", Client: queue.ClientBoard,
		Office: "test", Perms: queue.DevicePerms(queue.ClientBoard)}
}

// follower is a View kept up to date from the hub, as the websocket feed
// keeps one per connection.
type follower struct {
	t    *testing.T
	env  *queuetest.Env
	sub  *queue.Subscription
	view *board.View
	// calls are the announcements, in order.
	calls []board.Call
}

func mustFollow(t *testing.T, env *queuetest.Env) *follower {
	t.Helper()
	sub := env.Q.Hub().Subscribe("test", 4096)
	t.Cleanup(sub.Close)
	live, err := env.Q.Live(boardDevice(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &follower{t: t, env: env, sub: sub, view: board.New(live)}
}

// catchUp applies every event committed so far.
func (f *follower) catchUp() {
	f.t.Helper()
	want := f.env.Q.Seq("test")
	for f.view.Seq < want {
		select {
		case e, ok := <-f.sub.C:
			if !ok {
				f.t.Fatal("subscription dropped")
			}
			eff := f.view.Apply(e.Public())
			if eff.Resync {
				live, err := f.env.Q.Live(boardDevice(), "test")
				if err != nil {
					f.t.Fatal(err)
				}
				f.view = board.New(live)
				continue
			}
			if eff.Call != nil {
				f.calls = append(f.calls, *eff.Call)
			}
		case <-time.After(5 * time.Second):
			f.t.Fatalf("view at %d, engine at %d", f.view.Seq, want)
		}
	}
}

// checkAgainstLive checks that the followed view equals a fresh one.
func (f *follower) checkAgainstLive() {
	f.t.Helper()
	live, err := f.env.Q.Live(boardDevice(), "test")
	if err != nil {
		f.t.Fatal(err)
	}
	fresh := board.New(live)
	got, want := summary(f.view), summary(fresh)
	if got != want {
		f.t.Fatalf("followed view differs from a fresh one:\ngot  %s\nwant %s", got, want)
	}
}

// summary is the part of a view that must not depend on how it was built
// (the order of calls may: a recall moves a call to the top, and the
// engine keeps only the first call time).
func summary(v *board.View) string {
	var calls []string
	for _, c := range v.Calls {
		calls = append(calls, fmt.Sprintf("%s→%d(%s,%d)", c.Number, c.Window, c.Status, c.Recalls))
	}
	slices.Sort(calls)
	var wins []string
	for _, w := range v.Windows {
		wins = append(wins, fmt.Sprintf("%d:%s:%s", w.Number, w.Status, w.Ticket))
	}
	var svcs []string
	for _, s := range v.Services {
		svcs = append(svcs, fmt.Sprintf("%s=%d", s.Service, s.Waiting))
	}
	return fmt.Sprintf("seq %d waiting %d calls %v windows %v services %v", v.Seq, v.Waiting, calls, wins, svcs)
}

func mustEnv(t *testing.T) *queuetest.Env {
	t.Helper()
	env := queuetest.MustOpen(t, bolt.Options{})
	env.MustSetup()
	return env
}

func issue(t *testing.T, env *queuetest.Env, service string) queue.TicketView {
	t.Helper()
	v, err := env.Q.Issue(context.Background(), queuetest.Kiosk("test"), "test",
		queue.IssueRequest{Service: service, Phone: "+79001234567", CaseID: "AIS-77"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func op(n int) queue.Meta { return queuetest.As(fmt.Sprintf("op%d", n), queue.RoleOperator, "test") }

func TestViewFollowsTheQueue(t *testing.T) {
	env := mustEnv(t)
	ctx := context.Background()
	f := mustFollow(t, env)
	if len(f.view.Windows) != 4 || len(f.view.Services) != 4 || f.view.Waiting != 0 {
		t.Fatalf("empty office: %s", summary(f.view))
	}

	p1, p2, n1 := issue(t, env, "passport"), issue(t, env, "passport"), issue(t, env, "tax")
	f.catchUp()
	f.checkAgainstLive()
	if got := summary(f.view); !strings.Contains(got, "passport=2") || !strings.Contains(got, "tax=1") || f.view.Waiting != 3 {
		t.Fatalf("after three tickets: %s", got)
	}

	c1, err := env.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := env.Q.CallNext(ctx, op(2), "test", 2, queue.CallNextRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	f.checkAgainstLive()
	if len(f.calls) != 2 || f.calls[0].Number != c1.Ticket.Number || f.calls[0].Window != 1 ||
		f.calls[1].Number != c2.Ticket.Number || f.calls[1].Window != 2 {
		t.Fatalf("announced %+v, want %s→1 then %s→2", f.calls, c1.Ticket.Number, c2.Ticket.Number)
	}
	if f.view.Calls[0].Number != c2.Ticket.Number || f.view.Calls[1].Number != c1.Ticket.Number {
		t.Fatalf("latest call first: %+v", f.view.Calls)
	}
	if w := f.view.Windows[0]; w.Status != queue.WindowOpen || w.Ticket != c1.Ticket.Number {
		t.Fatalf("window 1: %+v", w)
	}

	// A recall is announced again and moves to the top.
	env.Clock.Add(time.Minute)
	if _, err := env.Q.Recall(ctx, op(1), c1.Ticket.ID); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	if len(f.calls) != 3 || f.calls[2].Number != c1.Ticket.Number || f.calls[2].Recalls != 1 {
		t.Fatalf("recall not announced: %+v", f.calls)
	}
	if f.view.Calls[0].Number != c1.Ticket.Number || !f.view.Calls[0].At.Equal(env.Clock.Now()) {
		t.Fatalf("recall not on top: %+v", f.view.Calls)
	}
	f.checkAgainstLive()

	// Serving keeps the call on the board without a new announcement;
	// finishing takes it off and frees the window.
	if _, err := env.Q.Start(ctx, op(2), c2.Ticket.ID); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	if len(f.calls) != 3 || f.view.Calls[1].Status != queue.StatusServing {
		t.Fatalf("start: calls %+v, announced %d", f.view.Calls, len(f.calls))
	}
	if _, err := env.Q.Finish(ctx, op(2), c2.Ticket.ID, queue.FinishRequest{}); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	f.checkAgainstLive()
	if len(f.view.Calls) != 1 || f.view.Windows[1].Ticket != "" {
		t.Fatalf("after finish: %s", summary(f.view))
	}

	// Postponed and redirected tickets leave the board; a redirect back
	// into a queue counts as waiting for the new service.
	if _, err := env.Q.Postpone(ctx, op(1), c1.Ticket.ID, queue.PostponeRequest{Minutes: 5}); err != nil {
		t.Fatal(err)
	}
	c3, err := env.Q.CallNext(ctx, op(3), "test", 3, queue.CallNextRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Q.Redirect(ctx, op(3), c3.Ticket.ID, queue.RedirectRequest{Service: "pension"}); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	f.checkAgainstLive()
	if got := summary(f.view); !strings.Contains(got, "pension=1") {
		t.Fatalf("redirect to pension not counted: %s", got)
	}

	// A break, a window that closes, a ticket cancelled while waiting.
	if _, err := env.Q.Break(ctx, op(2), "test", 2, true, queue.WindowRequest{Reason: "обед"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{p1.ID, p2.ID, n1.ID} {
		if _, err := env.Q.Cancel(ctx, queuetest.As("boss", queue.RoleManager, "test"), id, queue.CancelRequest{}); err != nil &&
			!strings.Contains(err.Error(), "wrong_state") {
			t.Fatal(err)
		}
	}
	f.catchUp()
	f.checkAgainstLive()
	if f.view.Windows[1].Status != queue.WindowBreak {
		t.Fatalf("window 2 not on break: %+v", f.view.Windows[1])
	}

	// The postponed ticket comes back by itself; then the day closes.
	env.Clock.Add(6 * time.Minute)
	if err := env.Q.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	f.checkAgainstLive()
	if _, err := env.Q.CloseDay(ctx, queuetest.As("boss", queue.RoleManager, "test"), "test", "авария"); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	f.checkAgainstLive()
	if len(f.view.Calls) != 0 || f.view.Waiting != 0 {
		t.Fatalf("after the close of day: %s", summary(f.view))
	}
	for _, w := range f.view.Windows {
		if w.Status != queue.WindowClosed {
			t.Fatalf("window %d still %s after the close of day", w.Number, w.Status)
		}
	}
}

func TestViewResyncsOnGapsAndCatalogueChanges(t *testing.T) {
	env := mustEnv(t)
	ctx := context.Background()
	live, err := env.Q.Live(boardDevice(), "test")
	if err != nil {
		t.Fatal(err)
	}
	v := board.New(live)
	seq := v.Seq

	// An event already applied, or of another office, changes nothing.
	if eff := v.Apply(&queue.Event{Seq: seq, Office: "test", Type: queue.EventDayClosed}); eff != (board.Effect{}) || v.Seq != seq {
		t.Fatalf("old event applied: %+v", eff)
	}
	if eff := v.Apply(&queue.Event{Seq: seq + 1, Office: "other", Type: queue.EventDayClosed}); eff != (board.Effect{}) || v.Seq != seq {
		t.Fatalf("other office applied: %+v", eff)
	}
	// A skipped Seq asks for a new picture and applies nothing.
	if eff := v.Apply(&queue.Event{Seq: seq + 2, Office: "test", Type: queue.EventDayClosed}); !eff.Resync || v.Seq != seq {
		t.Fatalf("gap: %+v, seq %d", eff, v.Seq)
	}
	// A window renamed: displays see the change without its content.
	cfg := queuetest.Office()
	w := cfg.Windows[0]
	w.Name = queue.Text{RU: "Окно приёма"}
	if _, err := env.Q.PutWindow(ctx, queuetest.Admin(), "test", w, queue.Update); err != nil {
		t.Fatal(err)
	}
	evs, err := env.Q.Events(ctx, boardDevice(), "test", seq, 10, 0)
	if err != nil || len(evs) != 1 || evs[0].Config != nil {
		t.Fatalf("events %v %v, want one config change without content", evs, err)
	}
	if eff := v.Apply(evs[0]); !eff.Resync {
		t.Fatalf("catalogue change: %+v, want a resync", eff)
	}
	live, _ = env.Q.Live(boardDevice(), "test")
	if v = board.New(live); v.Windows[0].Name.RU != "Окно приёма" || v.Seq != evs[0].Seq {
		t.Fatalf("fresh view: %+v", v.Windows[0])
	}
	if v.Board != queue.DefaultBoardSettings() {
		t.Fatalf("board settings of a new office: %+v", v.Board)
	}

	// The office's board layout changed: the view is read afresh and
	// carries it to the displays.
	o := cfg.Office
	o.Settings.Board = queue.BoardSettings{Columns: 3, Rows: 5, Lang: queue.BoardBoth, Ticker: "Сегодня приём до 18:00"}
	if _, err := env.Q.PutOffice(ctx, queuetest.Admin(), o, queue.Update); err != nil {
		t.Fatal(err)
	}
	evs, err = env.Q.Events(ctx, boardDevice(), "test", v.Seq, 10, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v, want one config change", evs, err)
	}
	if eff := v.Apply(evs[0]); !eff.Resync {
		t.Fatalf("office change: %+v, want a resync", eff)
	}
	live, _ = env.Q.Live(boardDevice(), "test")
	if v = board.New(live); v.Board != o.Settings.Board {
		t.Fatalf("fresh view's board settings %+v, want %+v", v.Board, o.Settings.Board)
	}
}

func TestViewJSONHasNoPersonalData(t *testing.T) {
	env := mustEnv(t)
	ctx := context.Background()
	f := mustFollow(t, env)
	issue(t, env, "passport")
	issue(t, env, "tax")
	if _, err := env.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{}); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	b, err := json.Marshal(f.view)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"79001234567", "AIS-77", "op1"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("view JSON holds %q: %s", secret, b)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"office", "name", "time_zone", "seq", "calls", "windows", "services", "waiting", "board"} {
		if _, ok := back[k]; !ok {
			t.Errorf("view JSON lacks %q: %s", k, b)
		}
	}
	calls := back["calls"].([]any)
	if len(calls) != 1 || calls[0].(map[string]any)["number"] != "П001" || calls[0].(map[string]any)["window"] != 1.0 {
		t.Errorf("calls %v, want П001 at window 1", calls)
	}
	// The picture a view starts from is public for displays, whole for staff.
	shown, err := env.Q.Live(boardDevice(), "test")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := env.Q.Live(queuetest.As("boss", queue.RoleManager, "test").Principal, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(shown.Tickets) != 2 || len(whole.Tickets) != 2 || shown.Seq != whole.Seq || shown.Seq != env.Q.Seq("test") {
		t.Fatalf("live: %d and %d tickets at %d and %d", len(shown.Tickets), len(whole.Tickets), shown.Seq, whole.Seq)
	}
	for i := range shown.Tickets {
		if p, w := shown.Tickets[i], whole.Tickets[i]; p.Phone != "" || p.CaseID != "" || p.Code != "" || w.Phone == "" || w.CaseID == "" || w.Code == "" {
			t.Errorf("ticket %s: display sees %q %q %q, staff %q %q %q", p.Number, p.Phone, p.CaseID, p.Code, w.Phone, w.CaseID, w.Code)
		}
	}
	if _, err := env.Q.Live(queuetest.Kiosk("other").Principal, "test"); err == nil {
		t.Error("a kiosk of another office reads this one")
	}
	if _, err := env.Q.Live(queuetest.Admin().Principal, "nowhere"); err == nil {
		t.Error("an unknown office reads")
	}

	// Latest is bounded and a copy.
	if l := f.view.Latest(5); len(l) != 1 {
		t.Errorf("Latest(5) = %d calls", len(l))
	}
}
