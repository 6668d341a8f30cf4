package queue_test

import (
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
)

// TestReportCountsEachWayOfGrouping runs a small day (two passports and a
// tax return; one served, one postponed, one no-show, at three windows by
// three operators) and reads it grouped every way: each count lands in the
// row of the service, window, operator, hour and day where it happened.
func TestReportCountsEachWayOfGrouping(t *testing.T) {
	e := mustEnv(t)
	p1 := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	p2 := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	t1 := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	e.Clock.Add(5 * time.Minute)
	if c := mustCall(t, e, op(1), 1); c.Ticket.ID != p1.ID {
		t.Fatalf("window 1 called %s", c.Ticket.Number)
	}
	if c := mustCall(t, e, op(2), 2); c.Ticket.ID != p2.ID {
		t.Fatalf("window 2 called %s", c.Ticket.Number)
	}
	if c := mustCall(t, e, op(3), 3); c.Ticket.ID != t1.ID {
		t.Fatalf("window 3 called %s", c.Ticket.Number)
	}
	e.Clock.Add(10 * time.Minute)
	if _, err := e.Q.Finish(ctx, op(1), p1.ID, queue.FinishRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Q.Postpone(ctx, op(2), p2.ID, queue.PostponeRequest{Minutes: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Q.NoShow(ctx, op(3), t1.ID); err != nil {
		t.Fatal(err)
	}

	type counts struct{ issued, called, served, postponed, noShow int }
	got := func(r queue.ReportRow) counts {
		return counts{r.Issued, r.Called, r.Served, r.Postponed, r.NoShow}
	}
	day := "2026-11-24"
	for _, c := range []struct {
		by   queue.ReportBy
		want map[string]counts
	}{
		{queue.ByService, map[string]counts{"passport": {2, 2, 1, 1, 0}, "tax": {1, 1, 0, 0, 1}}},
		{queue.ByWindow, map[string]counts{"1": {0, 1, 1, 0, 0}, "2": {0, 1, 0, 1, 0}, "3": {0, 1, 0, 0, 1}}},
		{queue.ByOperator, map[string]counts{"op1": {0, 1, 1, 0, 0}, "op2": {0, 1, 0, 1, 0}, "op3": {0, 1, 0, 0, 1}}},
		{queue.ByHour, map[string]counts{"10": {3, 3, 1, 1, 1}}},
		{queue.ByDay, map[string]counts{day: {3, 3, 1, 1, 1}}},
	} {
		rep, err := e.Q.Report(queuetest.Admin().Principal, "test", day, day, c.by)
		if err != nil {
			t.Fatal(err)
		}
		if g := got(rep.Total); g != (counts{3, 3, 1, 1, 1}) {
			t.Errorf("by %s: total %+v", c.by, g)
		}
		rows := map[string]counts{}
		for _, r := range rep.Rows {
			rows[r.Key] = got(r)
			if c.by == queue.ByWindow && r.Key == "1" && (r.WaitAvg != 5 || r.ServeAvg != 10) {
				t.Errorf("window 1: wait %v min, serve %v min; want 5 and 10", r.WaitAvg, r.ServeAvg)
			}
		}
		for k, w := range c.want {
			if rows[k] != w {
				t.Errorf("by %s, row %s: %+v, want %+v", c.by, k, rows[k], w)
			}
		}
		if len(rows) != len(c.want) {
			t.Errorf("by %s: rows %v, want %v", c.by, rows, c.want)
		}
	}
}
