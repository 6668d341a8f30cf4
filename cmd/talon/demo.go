package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/web"
)

// The demo: one office, its people and devices, and the file their secrets
// are written to.
const (
	demoOffice      = "mfc-demo"
	credentialsFile = "demo-credentials.json"
)

// credentials is <data>/demo-credentials.json: everything needed to try the
// demo. Only the demo writes secrets to a file; a real install never does.
type credentials struct {
	APIKey    string          `json:"api_key"`
	Operators []operatorLogin `json:"operators"`
	Manager   login           `json:"manager"`
	Admin     login           `json:"admin"`
	Devices   devices         `json:"devices"`
	Office    string          `json:"office"`
	URL       string          `json:"url"`
}

type login struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type operatorLogin struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Window   int    `json:"window"`
}

type devices struct {
	Kiosk  string `json:"kiosk"`
	Board  string `json:"board"`
	Rating string `json:"rating"`
	Agent  string `json:"agent"`
}

// ensureDemo makes the demo office, people and devices exist in q and writes
// their credentials to path. Secrets already in path that still work are
// kept, so a restart on the same data directory changes no password; missing
// or stale ones (a deleted file, a half-finished first start) are issued
// anew. It refuses a store that holds another configuration: the demo
// publishes an administrator's password. It reports whether every secret was
// reused.
func ensureDemo(ctx context.Context, q *queue.Queue, path, url string) (bool, error) {
	m := queue.Meta{Principal: queue.System(), Device: "talon serve --demo"}
	doc := q.Export()
	if !slices.ContainsFunc(doc.Offices, func(o queue.OfficeConfig) bool { return o.Office.ID == demoOffice }) {
		if len(doc.Offices) > 0 || len(doc.Users) > 0 {
			return false, fmt.Errorf("the data directory holds a configuration without the demo office %q: "+
				"run the demo on an empty --data directory", demoOffice)
		}
		if _, err := q.Import(ctx, m, queue.Document{Version: 1, Offices: []queue.OfficeConfig{demoOfficeConfig()}}); err != nil {
			return false, fmt.Errorf("create office: %w", err)
		}
	}

	old, _ := readCredentials(path) // a missing or broken file only means new secrets
	passwords, tokens := old.secrets()
	reused := true
	for _, u := range demoUsers() {
		pw, kept, err := ensureUser(ctx, q, m, u, passwords[u.Login])
		if err != nil {
			return false, fmt.Errorf("user %s: %w", u.Login, err)
		}
		passwords[u.Login], reused = pw, reused && kept
	}
	for _, cl := range demoClients() {
		tok, kept, err := ensureClient(ctx, q, m, cl, tokens[cl.ID])
		if err != nil {
			return false, fmt.Errorf("client %s: %w", cl.ID, err)
		}
		tokens[cl.ID], reused = tok, reused && kept
	}
	cr := newCredentials(passwords, tokens, url)
	b, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return false, err
	}
	return reused, writeFileAtomic(path, append(b, '\n'), 0o600)
}

// readCredentials reads a credentials file written by ensureDemo.
func readCredentials(path string) (credentials, error) {
	var cr credentials
	b, err := os.ReadFile(path)
	if err != nil {
		return cr, err
	}
	err = json.Unmarshal(b, &cr)
	return cr, err
}

// ensureUser makes u exist, active and as the demo defines it, with password
// pw when pw still opens it, else with a new password. It returns the
// password and whether it was kept.
func ensureUser(ctx context.Context, q *queue.Queue, m queue.Meta, u queue.User, pw string) (string, bool, error) {
	if pw != "" {
		if got, hash, err := q.UserByLogin(u.Login); err == nil && got.ID == u.ID && web.CheckPassword(hash, pw) {
			return pw, true, nil
		}
	}
	pw = newPassword()
	hash, err := web.HashPassword(pw)
	if err != nil {
		return "", false, err
	}
	mode := queue.Create
	if slices.ContainsFunc(q.Export().Users, func(x queue.User) bool { return x.ID == u.ID }) {
		mode = queue.Update
	}
	_, err = q.PutUser(ctx, m, u, mode, hash)
	return pw, false, err
}

// ensureClient makes cl exist and active, with token tok when tok still
// authenticates as it, else with a new token. It returns the token and
// whether it was kept.
func ensureClient(ctx context.Context, q *queue.Queue, m queue.Meta, cl queue.Client, tok string) (string, bool, error) {
	if tok != "" {
		if p, err := q.Authenticate(tok); err == nil && p.Kind == "client" && p.ID == cl.ID {
			return tok, true, nil
		}
	}
	i := slices.IndexFunc(q.Clients(queue.System()), func(x queue.Client) bool { return x.ID == cl.ID })
	if i < 0 {
		ct, err := q.CreateClient(ctx, m, cl)
		return ct.Token, false, err
	}
	if _, err := q.UpdateClient(ctx, m, cl); err != nil {
		return "", false, err
	}
	ct, err := q.RotateClient(ctx, m, cl.ID)
	if err == nil && ct.Token == "" {
		err = errors.New("no token issued")
	}
	return ct.Token, false, err
}

// newPassword returns a random password of 14 letters and digits without
// look-alikes (about 70 bits).
func newPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 14)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// demoUsers are the operators (op<n> at window n), the manager and the
// administrator of the demo.
func demoUsers() []queue.User {
	var out []queue.User
	for n := 1; n <= 6; n++ {
		id := fmt.Sprintf("op%d", n)
		out = append(out, queue.User{ID: id, Login: id, Name: fmt.Sprintf("Оператор окна %d", n),
			Role: queue.RoleOperator, Office: demoOffice, Windows: []int{n}, Active: true})
	}
	return append(out,
		queue.User{ID: "manager", Login: "manager", Name: "Руководитель МФЦ", Role: queue.RoleManager, Office: demoOffice, Active: true},
		queue.User{ID: "admin", Login: "admin", Name: "Администратор", Role: queue.RoleAdmin, Active: true})
}

// The demo's clients: an API key with every scope in every office, and one
// device of each kind.
const (
	demoAPI    = "demo-api"
	demoKiosk  = "demo-kiosk"
	demoBoard  = "demo-board"
	demoRating = "demo-rating"
	demoAgent  = "demo-agent"
)

func demoClients() []queue.Client {
	dev := func(id, name string, kind queue.ClientKind) queue.Client {
		return queue.Client{ID: id, Name: name, Kind: kind, Office: demoOffice, Active: true}
	}
	return []queue.Client{
		{ID: demoAPI, Name: "Демо: интеграция (АИС МФЦ)", Kind: queue.ClientAPI, Scopes: queue.AllPerms(), Active: true},
		dev(demoKiosk, "Киоск в зале ожидания", queue.ClientKiosk),
		dev(demoBoard, "Табло в зале", queue.ClientBoard),
		dev(demoRating, "Терминал оценки качества", queue.ClientRating),
		dev(demoAgent, "Агент табло над окнами", queue.ClientAgent),
	}
}

// secrets returns the passwords by login and the tokens by client id.
func (c credentials) secrets() (passwords, tokens map[string]string) {
	passwords = map[string]string{c.Manager.Login: c.Manager.Password, c.Admin.Login: c.Admin.Password}
	for _, o := range c.Operators {
		passwords[o.Login] = o.Password
	}
	tokens = map[string]string{demoAPI: c.APIKey, demoKiosk: c.Devices.Kiosk, demoBoard: c.Devices.Board,
		demoRating: c.Devices.Rating, demoAgent: c.Devices.Agent}
	return passwords, tokens
}

// newCredentials lays out the demo's secrets as the credentials file.
func newCredentials(passwords, tokens map[string]string, url string) credentials {
	c := credentials{APIKey: tokens[demoAPI], Office: demoOffice, URL: url,
		Manager: login{"manager", passwords["manager"]}, Admin: login{"admin", passwords["admin"]},
		Devices: devices{Kiosk: tokens[demoKiosk], Board: tokens[demoBoard], Rating: tokens[demoRating], Agent: tokens[demoAgent]}}
	for _, u := range demoUsers() {
		if u.Role == queue.RoleOperator {
			c.Operators = append(c.Operators, operatorLogin{Login: u.Login, Password: passwords[u.Login], Window: u.Windows[0]})
		}
	}
	return c
}

// demoOfficeConfig is the demo МФЦ: open round the clock every day so the
// demo works at any hour, nine services in three groups, six windows and
// three priority categories.
func demoOfficeConfig() queue.OfficeConfig {
	settings := queue.DefaultSettings()
	settings.PurposeServices = map[queue.Purpose]string{
		queue.PurposeResult:       "results",
		queue.PurposeConsultation: "consultation",
		queue.PurposeOther:        "consultation",
	}
	submit := []queue.Purpose{queue.PurposeSubmit, queue.PurposeStatus}
	decided := []queue.Result{
		{ID: "accepted", Name: queue.Text{RU: "Документы приняты", EN: "Documents accepted"}},
		{ID: "refused", Name: queue.Text{RU: "Отказ в приёме", EN: "Refused"}},
	}
	svc := func(id, parent, ru, en, prefix string, norm, limit int, purposes []queue.Purpose, results []queue.Result) queue.Service {
		return queue.Service{ID: id, Parent: parent, Name: queue.Text{RU: ru, EN: en}, Prefix: prefix, NormMinutes: norm,
			DailyLimit: limit, Purposes: purposes, Results: results, Active: true}
	}
	group := func(id, ru, en string, order int) queue.Service {
		return queue.Service{ID: id, Group: true, Name: queue.Text{RU: ru, EN: en}, Order: order, Active: true}
	}
	ws := func(pairs ...any) []queue.WindowService {
		var out []queue.WindowService
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, queue.WindowService{Service: pairs[i].(string), Rank: pairs[i+1].(int)})
		}
		return out
	}
	win := func(n int, services []queue.WindowService) queue.Window {
		return queue.Window{Number: n, Name: queue.Text{RU: fmt.Sprintf("Окно %d", n), EN: fmt.Sprintf("Window %d", n)},
			Services: services, Active: true}
	}
	return queue.OfficeConfig{
		Office: queue.Office{ID: demoOffice, Name: queue.Text{RU: "МФЦ «Мои документы» (демо)", EN: "My Documents centre (demo)"},
			Address: "г. Москва, ул. Примерная, д. 1", TimeZone: "Europe/Moscow",
			Hours: queue.AllWeek(queue.DayHours{Open: "00:00", Close: "24:00"}), Settings: settings, Active: true},
		Services: []queue.Service{
			group("documents", "Паспорта и регистрация", "Passports and registration", 1),
			svc("passport", "documents", "Паспорт гражданина РФ", "Russian passport", "А", 15, 0, submit, decided),
			svc("foreign-passport", "documents", "Заграничный паспорт", "Travel passport", "Б", 20, 60, submit, decided),
			svc("registration", "documents", "Регистрация по месту жительства", "Residence registration", "В", 15, 0, submit, decided),
			group("social", "Социальные услуги", "Social services", 2),
			svc("snils", "social", "СНИЛС", "Pension insurance number (SNILS)", "Г", 10, 0, submit, nil),
			svc("maternity-capital", "social", "Материнский капитал", "Maternity capital", "Д", 20, 40, submit, decided),
			group("tax-property", "Налоги и недвижимость", "Taxes and property", 3),
			svc("inn", "tax-property", "ИНН", "Taxpayer number (INN)", "Е", 10, 0, submit, nil),
			svc("egrn", "tax-property", "Выписка из ЕГРН", "Property register extract (EGRN)", "Ж", 10, 0, submit, nil),
			svc("consultation", "", "Консультация", "Consultation", "К", 5, 0,
				[]queue.Purpose{queue.PurposeConsultation, queue.PurposeStatus, queue.PurposeOther}, nil),
			svc("results", "", "Выдача готовых документов", "Collecting documents", "Р", 5, 0, []queue.Purpose{queue.PurposeResult}, nil),
		},
		Windows: []queue.Window{
			win(1, ws("passport", 1, "foreign-passport", 1, "registration", 2)),
			win(2, ws("passport", 1, "foreign-passport", 1, "registration", 2)),
			win(3, ws("registration", 1, "snils", 2, "inn", 2)),
			win(4, ws("snils", 1, "inn", 1, "maternity-capital", 1, "egrn", 2)),
			win(5, ws("egrn", 1, "maternity-capital", 2, "consultation", 2)),
			win(6, ws("results", 1, "consultation", 1)),
		},
		Categories: []queue.Category{
			{ID: "veterans", Name: queue.Text{RU: "Ветераны ВОВ и участники СВО", EN: "War veterans"},
				Document: queue.Text{RU: "Удостоверение ветерана или участника СВО"}, Level: 3, Active: true},
			{ID: "disabled", Name: queue.Text{RU: "Инвалиды I и II группы", EN: "Disabled people (groups I and II)"},
				Document: queue.Text{RU: "Справка МСЭ"}, Level: 2, Active: true},
			{ID: "parents", Name: queue.Text{RU: "Беременные и родители с детьми до 1 года", EN: "Pregnant women, parents of infants"},
				Document: queue.Text{RU: "Обменная карта или свидетельство о рождении ребёнка"}, Level: 1, Active: true},
		},
	}
}
