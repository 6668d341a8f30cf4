package web

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/queue"
)

// Health is the body of GET /healthz.
type Health struct {
	Status  string    `json:"status" doc:"ok"`
	Version string    `json:"version"`
	Demo    bool      `json:"demo,omitempty" doc:"a demo server with published credentials"`
	Time    time.Time `json:"time" doc:"server time"`
}

// OK is the body of operations that only confirm.
type OK struct {
	OK bool `json:"ok"`
}

// CheckInRequest turns a pre-booking into a ticket at the kiosk.
type CheckInRequest struct {
	Code string `json:"code" doc:"the booking's check-in code, typed or scanned"`
}

// CloseDayRequest closes the office's day early.
type CloseDayRequest struct {
	Reason string `json:"reason,omitempty"`
}

// UserRequest creates or changes a person; Password is only for creation
// or a reset.
type UserRequest struct {
	queue.User
	Password string `json:"password,omitempty" doc:"new password, at least 8 characters"`
}

// UnmarshalJSON reads the user and the password beside it (queue.User has
// its own decoder, which would otherwise drop the password).
func (r *UserRequest) UnmarshalJSON(b []byte) error {
	var pw struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal(b, &pw); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &r.User); err != nil {
		return err
	}
	r.Password = pw.Password
	return nil
}

// PasswordRequest sets a user's password.
type PasswordRequest struct {
	Password string `json:"password" doc:"at least 8 characters"`
}

// NextPreview is what call-next would do now, without doing it.
type NextPreview struct {
	Ticket *queue.Ticket      `json:"ticket,omitempty" doc:"the ticket call-next would pick; absent when nobody waits"`
	Why    *queue.Explanation `json:"why,omitempty"`
}

func (s *Server) routes() {
	const v1 = "/api/v1"
	add(s, op{Method: "GET", Path: "/healthz", ID: "health", Summary: "Liveness and version", Tag: "system", Public: true},
		func(r *request, _ none) (Health, error) {
			return Health{Status: "ok", Version: s.cfg.Version, Demo: s.cfg.Demo, Time: s.cfg.Now().UTC()}, nil
		})
	s.app.Get(v1+"/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(s.spec)
	})

	// Sessions.
	add(s, op{Method: "POST", Path: v1 + "/auth/login", ID: "login", Tag: "auth", Public: true,
		Summary: "Log in an operator, manager or admin: sets the session cookie and returns a bearer token",
		Errors:  []int{401, 429}},
		func(r *request, in LoginRequest) (queue.Session, error) { return s.login(r.c, in) })
	add(s, op{Method: "POST", Path: v1 + "/auth/logout", ID: "logout", Tag: "auth", Summary: "End the session"},
		func(r *request, _ none) (OK, error) { return OK{true}, s.logout(r.c, r.meta()) })
	add(s, op{Method: "GET", Path: v1 + "/me", ID: "me", Tag: "auth", Summary: "Who the caller is and what they may do"},
		func(r *request, _ none) (*queue.Principal, error) { return r.p, nil })

	// Offices and their catalogue.
	add(s, op{Method: "GET", Path: v1 + "/offices", ID: "listOffices", Tag: "offices", Perm: "config:read", Summary: "Offices the caller may see"},
		func(r *request, _ none) ([]queue.Office, error) { return s.q.Offices(r.p), nil })
	add(s, op{Method: "POST", Path: v1 + "/offices", ID: "createOffice", Tag: "config", Perm: "config:write", Status: 201, Errors: []int{409},
		Summary: "Create an office"},
		func(r *request, in queue.Office) (queue.Office, error) {
			return s.q.PutOffice(r.ctx(), r.meta(), in, queue.Create)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}", ID: "getOffice", Tag: "offices", Perm: "config:read", Errors: []int{404},
		Summary: "An office with its services, windows and categories"},
		func(r *request, _ none) (queue.OfficeConfig, error) { return s.q.Catalog(r.p, r.office()) })
	add(s, op{Method: "PUT", Path: v1 + "/offices/{office}", ID: "updateOffice", Tag: "config", Perm: "config:write", Errors: []int{404, 409},
		Summary: "Change an office (set active=false to deactivate)"},
		func(r *request, in queue.Office) (queue.Office, error) {
			if err := sameID("id", in.ID, r.office()); err != nil {
				return queue.Office{}, err
			}
			in.ID = r.office()
			return s.q.PutOffice(r.ctx(), r.meta(), in, queue.Update)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/services", ID: "listServices", Tag: "offices", Perm: "config:read", Errors: []int{404},
		Summary: "The service tree of an office (groups and services, parent links)"},
		func(r *request, _ none) ([]queue.Service, error) {
			c, err := s.q.Catalog(r.p, r.office())
			return c.Services, err
		})
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/services", ID: "createService", Tag: "config", Perm: "config:write", Status: 201, Errors: []int{404, 409},
		Summary: "Add a service or group"},
		func(r *request, in queue.Service) (queue.Service, error) {
			return s.q.PutService(r.ctx(), r.meta(), r.office(), in, queue.Create)
		})
	add(s, op{Method: "PUT", Path: v1 + "/offices/{office}/services/{service}", ID: "updateService", Tag: "config", Perm: "config:write", Errors: []int{404, 409},
		Summary: "Change a service (set active=false to deactivate)"},
		func(r *request, in queue.Service) (queue.Service, error) {
			if err := sameID("id", in.ID, r.c.Params("service")); err != nil {
				return queue.Service{}, err
			}
			in.ID = r.c.Params("service")
			return s.q.PutService(r.ctx(), r.meta(), r.office(), in, queue.Update)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/windows", ID: "listWindows", Tag: "offices", Perm: "config:read", Errors: []int{404},
		Summary: "Windows with their state, the ticket at each and how many could be called"},
		func(r *request, _ none) ([]queue.WindowView, error) { return s.q.Windows(r.p, r.office()) })
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/windows", ID: "createWindow", Tag: "config", Perm: "config:write", Status: 201, Errors: []int{404, 409},
		Summary: "Add a window with the services it serves and their ranks"},
		func(r *request, in queue.Window) (queue.Window, error) {
			return s.q.PutWindow(r.ctx(), r.meta(), r.office(), in, queue.Create)
		})
	add(s, op{Method: "PUT", Path: v1 + "/offices/{office}/windows/{n}", ID: "updateWindow", Tag: "config", Perm: "config:write", Errors: []int{404, 409},
		Summary: "Change a window (set active=false to deactivate)"},
		func(r *request, in queue.Window) (queue.Window, error) {
			n, err := r.intParam("n")
			if err != nil {
				return queue.Window{}, err
			}
			if in.Number != 0 && in.Number != n {
				return queue.Window{}, queue.Invalid("number", queue.RuleValue)
			}
			in.Number = n
			return s.q.PutWindow(r.ctx(), r.meta(), r.office(), in, queue.Update)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/categories", ID: "listCategories", Tag: "offices", Perm: "config:read", Errors: []int{404},
		Summary: "Priority categories of citizens"},
		func(r *request, _ none) ([]queue.Category, error) {
			c, err := s.q.Catalog(r.p, r.office())
			return c.Categories, err
		})
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/categories", ID: "createCategory", Tag: "config", Perm: "config:write", Status: 201, Errors: []int{404, 409},
		Summary: "Add a priority category"},
		func(r *request, in queue.Category) (queue.Category, error) {
			return s.q.PutCategory(r.ctx(), r.meta(), r.office(), in, queue.Create)
		})
	add(s, op{Method: "PUT", Path: v1 + "/offices/{office}/categories/{category}", ID: "updateCategory", Tag: "config", Perm: "config:write", Errors: []int{404, 409},
		Summary: "Change a priority category (set active=false to deactivate)"},
		func(r *request, in queue.Category) (queue.Category, error) {
			if err := sameID("id", in.ID, r.c.Params("category")); err != nil {
				return queue.Category{}, err
			}
			in.ID = r.c.Params("category")
			return s.q.PutCategory(r.ctx(), r.meta(), r.office(), in, queue.Update)
		})

	// Tickets.
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/tickets", ID: "issueTicket", Tag: "tickets", Perm: "tickets:issue", Status: 201, Errors: []int{404, 409},
		Summary: "Register a visitor: issue a ticket for a service or a visit purpose (functions 1, 2)"},
		func(r *request, in queue.IssueRequest) (queue.TicketView, error) {
			return s.q.Issue(r.ctx(), r.meta(), r.office(), in)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/tickets", ID: "listTickets", Tag: "tickets", Perm: "tickets:read", Errors: []int{404},
		Summary: "The current queue: active tickets, the waiting ones of each service in call order, with their place in it (function 8)",
		Query: []param{
			{Name: "status", Doc: "comma-separated statuses; all active ones when absent", Type: "string"},
			{Name: "service", Doc: "only this service", Type: "string"},
			{Name: "window", Doc: "only tickets at or bound to this window", Type: "integer", Min: 1, Max: 9999},
		}},
		func(r *request, _ none) ([]queue.TicketView, error) {
			var f queue.TicketFilter
			if st := r.c.Query("status"); st != "" {
				for _, x := range strings.Split(st, ",") {
					if !slices.Contains(queue.Statuses(), queue.Status(x)) {
						return nil, queue.Invalid("status", queue.RuleValue)
					}
					f.Status = append(f.Status, queue.Status(x))
				}
			}
			f.Service = r.c.Query("service")
			w, err := r.intQuery("window", 0, 1, 9999)
			if err != nil {
				return nil, err
			}
			f.Window = w
			return s.q.Tickets(r.p, r.office(), f)
		})
	add(s, op{Method: "GET", Path: v1 + "/tickets/{id}", ID: "getTicket", Tag: "tickets", Perm: "tickets:read", Errors: []int{404},
		Summary: "A ticket with its whole history"},
		func(r *request, _ none) (queue.TicketView, error) { return s.q.Ticket(r.p, r.id()) })
	add(s, op{Method: "GET", Path: v1 + "/public/tickets/{code}", ID: "getPublicTicket", Tag: "tickets", Public: true, Errors: []int{404}, ETag: true,
		Summary: "The applicant's view of their ticket by its unguessable page code (no login); poll it with If-None-Match"},
		func(r *request, _ none) (queue.TicketView, error) { return s.q.TicketByCode(r.c.Params("code")) })

	ticketAction := func(path, id, summary string, fn func(r *request) (queue.TicketView, error)) {
		add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/" + path, ID: id, Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
			Summary: summary},
			func(r *request, _ none) (queue.TicketView, error) { return fn(r) })
	}
	ticketAction("recall", "recallTicket", "Announce a called ticket again; past the recall limit it becomes a no-show",
		func(r *request) (queue.TicketView, error) { return s.q.Recall(r.ctx(), r.meta(), r.id()) })
	ticketAction("start", "startTicket", "Start serving a called visitor",
		func(r *request) (queue.TicketView, error) { return s.q.Start(r.ctx(), r.meta(), r.id()) })
	ticketAction("no-show", "noShowTicket", "The called visitor did not come",
		func(r *request) (queue.TicketView, error) { return s.q.NoShow(r.ctx(), r.meta(), r.id()) })
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/postpone", ID: "postponeTicket", Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Postpone a visitor for a given time (function 5); the ticket comes back to the queue by itself"},
		func(r *request, in queue.PostponeRequest) (queue.TicketView, error) {
			return s.q.Postpone(r.ctx(), r.meta(), r.id(), in)
		})
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/finish", ID: "finishTicket", Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Finish serving (function 6) with a result; the visitor goes on to planned or given next services"},
		func(r *request, in queue.FinishRequest) (queue.TicketView, error) {
			return s.q.Finish(r.ctx(), r.meta(), r.id(), in)
		})
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/redirect", ID: "redirectTicket", Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Redirect to another service or window, keeping the place or not, optionally returning afterwards (function 7)"},
		func(r *request, in queue.RedirectRequest) (queue.TicketView, error) {
			return s.q.Redirect(r.ctx(), r.meta(), r.id(), in)
		})
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/bind", ID: "bindTicket", Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Bind a waiting ticket to a window (function 9); window 0 unbinds"},
		func(r *request, in queue.BindRequest) (queue.TicketView, error) {
			return s.q.Bind(r.ctx(), r.meta(), r.id(), in)
		})
	add(s, op{Method: "POST", Path: v1 + "/tickets/{id}/cancel", ID: "cancelTicket", Tag: "tickets", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Withdraw a ticket"},
		func(r *request, in queue.CancelRequest) (queue.TicketView, error) {
			return s.q.Cancel(r.ctx(), r.meta(), r.id(), in)
		})

	// Windows.
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/windows/{n}/call-next", ID: "callNext", Tag: "windows", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Call the next visitor to the window (functions 3, 4, 12), with the reason for the choice"},
		func(r *request, in queue.CallNextRequest) (queue.Call, error) {
			n, err := r.intParam("n")
			if err != nil {
				return queue.Call{}, err
			}
			return s.q.CallNext(r.ctx(), r.meta(), r.office(), n, in)
		})
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/windows/{n}/call", ID: "callNumber", Tag: "windows", Perm: "queue:operate", Errors: []int{404, 409},
		Summary: "Call a given ticket number to the window (function 10)"},
		func(r *request, in queue.CallRequest) (queue.Call, error) {
			n, err := r.intParam("n")
			if err != nil {
				return queue.Call{}, err
			}
			return s.q.Call(r.ctx(), r.meta(), r.office(), n, in)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/windows/{n}/next", ID: "peekNext", Tag: "windows", Perm: "queue:operate", Errors: []int{404},
		Summary: "Who call-next would call now and why, without calling",
		Query:   []param{{Name: "service", Doc: "only this service", Type: "string"}}},
		func(r *request, _ none) (NextPreview, error) {
			n, err := r.intParam("n")
			if err != nil {
				return NextPreview{}, err
			}
			t, why, err := s.q.Peek(r.p, r.office(), n, r.c.Query("service"))
			return NextPreview{Ticket: t, Why: why}, err
		})
	windowAction := func(path, id, summary string, fn func(r *request, n int, in queue.WindowRequest) (queue.WindowState, error)) {
		add(s, op{Method: "POST", Path: v1 + "/offices/{office}/windows/{n}/" + path, ID: id, Tag: "windows", Perm: "queue:operate", Errors: []int{404, 409},
			Summary: summary},
			func(r *request, in queue.WindowRequest) (queue.WindowState, error) {
				n, err := r.intParam("n")
				if err != nil {
					return queue.WindowState{}, err
				}
				return fn(r, n, in)
			})
	}
	windowAction("open", "openWindow", "Sit down at the window, or come back from a break",
		func(r *request, n int, in queue.WindowRequest) (queue.WindowState, error) {
			return s.q.OpenWindow(r.ctx(), r.meta(), r.office(), n, in)
		})
	windowAction("break", "breakWindow", "Start a break at the window",
		func(r *request, n int, in queue.WindowRequest) (queue.WindowState, error) {
			return s.q.Break(r.ctx(), r.meta(), r.office(), n, true, in)
		})
	windowAction("close", "closeWindow", "Leave the window",
		func(r *request, n int, in queue.WindowRequest) (queue.WindowState, error) {
			return s.q.CloseWindow(r.ctx(), r.meta(), r.office(), n, in)
		})

	// Office day, bookings, reports and the feed.
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/close-day", ID: "closeDay", Tag: "offices", Perm: "queue:manage", Errors: []int{404},
		Summary: "Close the day now: every active ticket is closed unserved, windows are closed"},
		func(r *request, in CloseDayRequest) (queue.DayClosed, error) {
			return s.q.CloseDay(r.ctx(), r.meta(), r.office(), in.Reason)
		})
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/bookings", ID: "createBooking", Tag: "bookings", Perm: "bookings:write", Status: 201, Errors: []int{404, 409},
		Summary: "Pre-book a visit (external pre-booking, function 1): returns the check-in code"},
		func(r *request, in queue.BookRequest) (queue.Booking, error) {
			return s.q.Book(r.ctx(), r.meta(), r.office(), in)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/bookings", ID: "listBookings", Tag: "bookings", Perm: "tickets:read", Errors: []int{404},
		Summary: "Pre-bookings of an office"},
		func(r *request, _ none) ([]queue.Booking, error) { return s.q.Bookings(r.p, r.office()) })
	add(s, op{Method: "GET", Path: v1 + "/bookings/{id}", ID: "getBooking", Tag: "bookings", Perm: "tickets:read", Errors: []int{404},
		Summary: "A pre-booking"},
		func(r *request, _ none) (queue.Booking, error) { return s.q.Booking(r.p, r.id()) })
	add(s, op{Method: "POST", Path: v1 + "/bookings/{id}/cancel", ID: "cancelBooking", Tag: "bookings", Perm: "bookings:write", Errors: []int{404, 409},
		Summary: "Cancel a pre-booking"},
		func(r *request, _ none) (queue.Booking, error) { return s.q.CancelBooking(r.ctx(), r.meta(), r.id()) })
	add(s, op{Method: "POST", Path: v1 + "/offices/{office}/check-in", ID: "checkIn", Tag: "bookings", Perm: "tickets:issue", Status: 201, Errors: []int{404, 409},
		Summary: "Check in a pre-booked visit by its code: issues its ticket"},
		func(r *request, in CheckInRequest) (queue.TicketView, error) {
			return s.q.CheckIn(r.ctx(), r.meta(), r.office(), in.Code)
		})
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/reports/queue", ID: "queueReport", Tag: "reports", Perm: "reports:read", Errors: []int{404},
		Summary: "Queue statistics for a period (function 11): counts, waits, service times, share within the wait norm",
		Query: []param{
			{Name: "from", Doc: "first local date, YYYY-MM-DD", Type: "string", Required: true},
			{Name: "to", Doc: "last local date, YYYY-MM-DD", Type: "string", Required: true},
			{Name: "by", Doc: "grouping", Type: "string", Enum: []string{"service", "window", "operator", "hour", "day"}},
		}},
		func(r *request, _ none) (queue.Report, error) {
			by := queue.ReportBy(r.c.Query("by", string(queue.ByService)))
			return s.q.Report(r.p, r.office(), r.c.Query("from"), r.c.Query("to"), by)
		})
	feedQuery := []param{
		{Name: "since", Doc: "the last Seq the caller has; 0 for the start", Type: "integer", Min: 0, Max: 1 << 31},
		{Name: "limit", Doc: "at most this many events (default 500)", Type: "integer", Min: 1, Max: 1000},
		{Name: "wait", Doc: "seconds to wait when there is nothing new (default 0, at most 60)", Type: "integer", Min: 0, Max: 60},
	}
	feed := func(r *request, office string) ([]*queue.Event, error) {
		since, err := r.intQuery("since", 0, 0, 1<<31)
		if err != nil {
			return nil, err
		}
		limit, err := r.intQuery("limit", 500, 1, 1000)
		if err != nil {
			return nil, err
		}
		wait, err := r.intQuery("wait", 0, 0, 60)
		if err != nil {
			return nil, err
		}
		return s.q.Events(s.done, r.p, office, uint64(since), limit, time.Duration(wait)*time.Second)
	}
	add(s, op{Method: "GET", Path: v1 + "/offices/{office}/events", ID: "events", Tag: "events", Perm: "tickets:read or feed:read", Errors: []int{404},
		Summary: "The event feed after a Seq, in order and without gaps; waits up to `wait` seconds for new events (long poll). Display devices get events without personal data",
		Query:   feedQuery},
		func(r *request, _ none) ([]*queue.Event, error) { return feed(r, r.office()) })
	add(s, op{Method: "GET", Path: v1 + "/events", ID: "journal", Tag: "events", Perm: "users:write",
		Summary: "The journal of changes to people, API keys and devices (logins and logouts too), with its own gap-free Seq",
		Query:   feedQuery},
		func(r *request, _ none) ([]*queue.Event, error) { return feed(r, "") })

	// People, clients and the whole configuration.
	add(s, op{Method: "GET", Path: v1 + "/users", ID: "listUsers", Tag: "people", Perm: "users:write", Summary: "People the caller may manage"},
		func(r *request, _ none) ([]queue.User, error) { return s.q.Users(r.p), nil })
	add(s, op{Method: "POST", Path: v1 + "/users", ID: "createUser", Tag: "people", Perm: "users:write", Status: 201, Errors: []int{404, 409},
		Summary: "Add an operator, manager or admin with a password"},
		func(r *request, in UserRequest) (queue.User, error) {
			if in.Password == "" {
				return queue.User{}, queue.Invalid("password", queue.RuleRequired)
			}
			h, err := hashFor(in.Password)
			if err != nil {
				return queue.User{}, err
			}
			return s.q.PutUser(r.ctx(), r.meta(), in.User, queue.Create, h)
		})
	add(s, op{Method: "PUT", Path: v1 + "/users/{id}", ID: "updateUser", Tag: "people", Perm: "users:write", Errors: []int{404, 409},
		Summary: "Change a person (set active=false to deactivate and end their sessions)"},
		func(r *request, in UserRequest) (queue.User, error) {
			if err := sameID("id", in.ID, r.id()); err != nil {
				return queue.User{}, err
			}
			in.ID = r.id()
			h := ""
			if in.Password != "" {
				var err error
				if h, err = hashFor(in.Password); err != nil {
					return queue.User{}, err
				}
			}
			return s.q.PutUser(r.ctx(), r.meta(), in.User, queue.Update, h)
		})
	add(s, op{Method: "POST", Path: v1 + "/users/{id}/password", ID: "setPassword", Tag: "people", Perm: "users:write", Errors: []int{404},
		Summary: "Set a person's password; their sessions end"},
		func(r *request, in PasswordRequest) (queue.User, error) {
			h, err := hashFor(in.Password)
			if err != nil {
				return queue.User{}, err
			}
			return s.q.SetPassword(r.ctx(), r.meta(), r.id(), h)
		})
	add(s, op{Method: "GET", Path: v1 + "/clients", ID: "listClients", Tag: "people", Perm: "users:write", Summary: "API keys and devices"},
		func(r *request, _ none) ([]queue.Client, error) { return s.q.Clients(r.p), nil })
	add(s, op{Method: "POST", Path: v1 + "/clients", ID: "createClient", Tag: "people", Perm: "users:write", Status: 201, Errors: []int{404, 409},
		Summary: "Create an API key (with scopes) or a device token; the secret is shown only here. A kiosk may name its ticket printer"},
		func(r *request, in queue.Client) (queue.ClientToken, error) {
			if err := s.checkPrinter(in.Printer); err != nil {
				return queue.ClientToken{}, err
			}
			return s.q.CreateClient(r.ctx(), r.meta(), in)
		})
	add(s, op{Method: "PUT", Path: v1 + "/clients/{id}", ID: "updateClient", Tag: "people", Perm: "users:write", Errors: []int{404},
		Summary: "Change an API key or device (set active=false to revoke); the body replaces the record, printer included"},
		func(r *request, in queue.Client) (queue.ClientToken, error) {
			if err := sameID("id", in.ID, r.id()); err != nil {
				return queue.ClientToken{}, err
			}
			in.ID = r.id()
			if err := s.checkPrinter(in.Printer); err != nil {
				return queue.ClientToken{}, err
			}
			return s.q.UpdateClient(r.ctx(), r.meta(), in)
		})
	add(s, op{Method: "POST", Path: v1 + "/clients/{id}/rotate", ID: "rotateClient", Tag: "people", Perm: "users:write", Errors: []int{404},
		Summary: "Issue a new secret for an API key or device; the old one stops working"},
		func(r *request, _ none) (queue.ClientToken, error) {
			return s.q.RotateClient(r.ctx(), r.meta(), r.id())
		})
	add(s, op{Method: "GET", Path: v1 + "/config", ID: "exportConfig", Tag: "config", Perm: "config:write", Summary: "The whole configuration as one document"},
		func(r *request, _ none) (queue.Document, error) {
			if !r.p.Can(queue.PermConfigWrite, "") || r.p.Office != "" {
				return queue.Document{}, queue.E(queue.KindForbidden, queue.CodeForbidden, "perm", string(queue.PermConfigWrite))
			}
			return s.q.Export(), nil
		})
	add(s, op{Method: "PUT", Path: v1 + "/config", ID: "importConfig", Tag: "config", Perm: "config:write", Errors: []int{404, 409},
		Summary: "Replace the whole configuration; everything is validated first and a bad document changes nothing"},
		func(r *request, in queue.Document) (queue.ImportSummary, error) {
			return s.q.Import(r.ctx(), r.meta(), in)
		})
}

// sameID refuses a body whose id contradicts the path.
func sameID(field, body, path string) error {
	if body != "" && body != path {
		return queue.Invalid(field, queue.RuleValue)
	}
	return nil
}

// hashFor hashes a new password, refusing short ones with a field error.
func hashFor(pw string) (string, error) {
	if len([]rune(pw)) < 8 {
		return "", queue.Invalid("password", queue.RuleRange, "min", "8")
	}
	if len(pw) > 1024 {
		return "", queue.Invalid("password", queue.RuleTooLong, "max", "1024")
	}
	return HashPassword(pw)
}
