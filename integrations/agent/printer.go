package agent

import (
	"context"
	"log/slog"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/kiosk"
)

// answerWithin is how long after a print job arrives the agent answers it
// at the latest: the server gives up after 30 s from sending it, so the
// answer must be on its way before then.
const answerWithin = 25 * time.Second

// printSettle is how long the printer is given after the cut before the
// confirming status query, so that a roll that ran out mid-ticket is seen
// (the server's network printers wait as long).
const printSettle = 300 * time.Millisecond

// queuedJobs is how many jobs may wait for one printer. The server sends a
// kiosk's jobs one at a time, so more wait only after it gave up on one.
const queuedJobs = 4

// printer is a kiosk's ticket printer on a serial port of the agent's
// machine. Its jobs run one at a time, in its own goroutine (run), so that a
// slow printer never holds the displays up.
type printer struct {
	kiosk   string
	profile string
	dev     kiosk.Printer
	jobs    chan printTask
	log     *slog.Logger

	warned string // the job profile last warned about, so a mismatch is logged once
}

// printTask is a print job to do and the way back to the connection it
// came over.
type printTask struct {
	job      kiosk.PrintJob
	deadline time.Time                        // answer by then
	answer   func(res kiosk.PrintResult) bool // false when the connection has gone
}

func newPrinter(kioskID, port string, p profiles.Printer, dial escpos.Dialer, log *slog.Logger) *printer {
	return &printer{
		kiosk:   kioskID,
		profile: p.ID,
		dev:     &escpos.Printer{Profile: p, Dial: dial, Settle: printSettle},
		jobs:    make(chan printTask, queuedJobs),
		log:     log,
	}
}

// run prints the jobs as they come until ctx is done; jobs still waiting
// then are dropped (their connection is closing too).
func (p *printer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-p.jobs:
			p.print(ctx, t)
		}
	}
}

// print prints one job and answers it.
func (p *printer) print(ctx context.Context, t printTask) {
	job := t.job
	log := p.log.With("job", job.ID, "ticket", job.Ticket)
	if !time.Now().Before(t.deadline) {
		// It waited behind a slow job past the server's patience: the kiosk
		// has moved on (it shows the QR code), so a late ticket would only
		// confuse.
		log.Warn("print job expired before the printer was free")
		p.answer(log, t, kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterNoAnswer})
		return
	}
	if job.Profile != "" && job.Profile != p.profile && job.Profile != p.warned {
		log.Warn("the kiosk's printer profile on the server differs from the agent's; printing with the agent's",
			"server_profile", job.Profile, "profile", p.profile)
		p.warned = job.Profile
	}
	ctx, cancel := context.WithDeadline(ctx, t.deadline)
	res := kiosk.Print(ctx, p.dev, job)
	cancel()
	res.Job = job.ID
	if res.OK {
		log.Info("ticket printed", "paper_near_end", res.Status.PaperNearEnd)
	} else {
		log.Warn("ticket not printed", "code", res.Code, "sent", res.Sent)
	}
	p.answer(log, t, res)
}

func (p *printer) answer(log *slog.Logger, t printTask, res kiosk.PrintResult) {
	if !t.answer(res) {
		log.Info("print result not delivered: the connection it came over is gone", "ok", res.OK)
	}
}

// print takes a print job from the server: it queues it for the kiosk's
// printer, or answers at once when the agent has no printer for that kiosk
// (or its printer is swamped), so the kiosk does not wait for nothing.
func (a *agent) print(job *kiosk.PrintJob, answer func(kiosk.PrintResult) bool) {
	a.log.Debug("print job", "kiosk", job.Kiosk, "job", job.ID, "ticket", job.Ticket)
	p := a.printers[job.Kiosk]
	if p == nil {
		a.log.Warn("print job for a kiosk without a printer here", "kiosk", job.Kiosk, "job", job.ID)
		answer(kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterUnreachable})
		return
	}
	select {
	case p.jobs <- printTask{job: *job, deadline: time.Now().Add(answerWithin), answer: answer}:
	default:
		p.log.Warn("print job refused: the printer has too many waiting", "job", job.ID)
		answer(kiosk.PrintResult{Job: job.ID, Code: kiosk.CodePrinterNoAnswer})
	}
}
