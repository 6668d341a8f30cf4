package queue

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HashToken returns the stored form of a secret token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newToken returns a random bearer token: 256 bits, URL-safe, with a prefix
// that secret scanners can recognise.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "tln_" + base64.RawURLEncoding.EncodeToString(b)
}

// Authenticate returns the principal of a session token, API key or device
// token. Returns auth_required for an unknown token and session_expired for
// an expired session.
func (q *Queue) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, E(KindUnauthorized, CodeAuthRequired)
	}
	h := HashToken(token)
	q.mu.RLock()
	defer q.mu.RUnlock()
	cr := q.r.creds[h]
	if cr == nil {
		return nil, E(KindUnauthorized, CodeAuthRequired)
	}
	if !cr.Expires.IsZero() && !q.now().Before(cr.Expires) {
		return nil, E(KindUnauthorized, CodeSessionExpired)
	}
	switch cr.Kind {
	case "session":
		u := q.r.users[cr.Subject]
		if u == nil || !u.User.Active {
			return nil, E(KindUnauthorized, CodeAuthRequired)
		}
		return userPrincipal(&u.User), nil
	case "client":
		c := q.r.clients[cr.Subject]
		if c == nil || !c.Active {
			return nil, E(KindUnauthorized, CodeAuthRequired)
		}
		return &Principal{Kind: "client", ID: c.ID, Name: c.Name, Client: c.Kind, Office: c.Office, Perms: c.Perms()}, nil
	}
	return nil, E(KindUnauthorized, CodeAuthRequired)
}

func userPrincipal(u *User) *Principal {
	return &Principal{Kind: "user", ID: u.ID, Name: u.Name, Role: u.Role, Office: u.Office,
		Windows: slices.Clone(u.Windows), Perms: RolePerms(u.Role)}
}

// UserByLogin returns an active user and their password hash, for the edge
// that checks passwords. Returns invalid_credentials when there is none.
func (q *Queue) UserByLogin(login string) (User, string, error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	u := q.r.users[q.r.logins[strings.ToLower(login)]]
	if u == nil || !u.User.Active || u.PasswordHash == "" {
		return User{}, "", E(KindUnauthorized, CodeInvalidCredentials)
	}
	return u.User, u.PasswordHash, nil
}

// Session is an open login session.
type Session struct {
	Token   string    `json:"token" doc:"bearer token; also set as the session cookie"`
	Expires time.Time `json:"expires"`
	User    User      `json:"user"`
	Perms   []Perm    `json:"perms"`
}

type openSessionCmd struct {
	User string
	TTL  time.Duration
}

// OpenSession starts a session for a user whose password the caller has
// checked, and journals the login with the device it came from.
func (q *Queue) OpenSession(ctx context.Context, m Meta, userID string, ttl time.Duration) (Session, error) {
	return run[Session](ctx, q, m, openSessionCmd{userID, ttl})
}

func (x openSessionCmd) run(c *txn) (any, error) {
	u := c.w.users[x.User]
	if u == nil || !u.User.Active {
		return nil, E(KindUnauthorized, CodeInvalidCredentials)
	}
	tok := newToken()
	cr := &Credential{Hash: HashToken(tok), Kind: "session", Subject: u.User.ID, Created: c.now, Expires: c.now.Add(x.TTL)}
	c.put(credChange{hash: cr.Hash, c: cr})
	c.meta.Principal = userPrincipal(&u.User)
	c.emit(c.journal(u.User.Office), EventLogin, nil)
	return Session{Token: tok, Expires: cr.Expires, User: u.User, Perms: RolePerms(u.User.Role)}, nil
}

// journal returns the office whose journal records a change of a person or
// client: their office, or the common journal when it is unknown.
func (c *txn) journal(office string) string {
	if c.w.offices[office] == nil {
		return ""
	}
	return office
}

type closeSessionCmd struct {
	Hash string
}

// CloseSession ends the session of token (log out).
func (q *Queue) CloseSession(ctx context.Context, m Meta, token string) error {
	_, err := run[struct{}](ctx, q, m, closeSessionCmd{HashToken(token)})
	return err
}

func (x closeSessionCmd) run(c *txn) (any, error) {
	cr := c.w.creds[x.Hash]
	if cr == nil || cr.Kind != "session" {
		return nil, E(KindUnauthorized, CodeAuthRequired)
	}
	c.put(credChange{hash: x.Hash})
	office := ""
	if u := c.w.users[cr.Subject]; u != nil {
		office = u.User.Office
	}
	c.emit(c.journal(office), EventLogout, nil)
	return struct{}{}, nil
}

type putUserCmd struct {
	User User
	Mode Mode
	hash string
}

// PutUser creates or changes a person. hash, when set, is the new password
// hash; an update without one keeps the password. Deactivating a user ends
// their sessions. Returns duplicate (id or login), office_not_found,
// user_not_found or invalid_field.
func (q *Queue) PutUser(ctx context.Context, m Meta, u User, mode Mode, hash string) (User, error) {
	u.Login = strings.ToLower(u.Login)
	return run[User](ctx, q, m, putUserCmd{User: u, Mode: mode, hash: hash})
}

// SetPassword replaces a user's password hash and ends their other sessions.
func (q *Queue) SetPassword(ctx context.Context, m Meta, id, hash string) (User, error) {
	return run[User](ctx, q, m, putUserCmd{User: User{ID: id}, hash: hash})
}

func (x putUserCmd) run(c *txn) (any, error) {
	if err := c.require(PermUsers, x.User.Office); err != nil {
		return nil, err
	}
	old := c.w.users[x.User.ID]
	if x.Mode == 0 { // SetPassword
		if old == nil {
			return nil, E(KindNotFound, CodeUserNotFound, "id", x.User.ID)
		}
		if err := c.require(PermUsers, old.User.Office); err != nil {
			return nil, err
		}
		n := *old
		n.PasswordHash = x.hash
		c.putUser(&n)
		c.endSessions(x.User.ID)
		return n.User, nil
	}
	if old != nil && x.Mode == Create {
		return nil, E(KindConflict, CodeDuplicate, "kind", "user", "id", x.User.ID)
	}
	if old == nil && x.Mode == Update {
		return nil, E(KindNotFound, CodeUserNotFound, "id", x.User.ID)
	}
	if old != nil {
		if err := c.require(PermUsers, old.User.Office); err != nil {
			return nil, err
		}
	}
	cats := map[string]*catalog{}
	for id, os := range c.w.offices {
		cats[id] = os.cat
	}
	logins := map[string]bool{}
	for l, id := range c.w.logins {
		if id != x.User.ID {
			logins[l] = true
		}
	}
	if err := c.checkUser(x.User, cats, logins); err != nil {
		return nil, err
	}
	rec := &UserRecord{User: x.User, PasswordHash: x.hash}
	if old != nil && x.hash == "" {
		rec.PasswordHash = old.PasswordHash
	}
	c.putUser(rec)
	if !x.User.Active || (old != nil && x.hash != "") {
		c.endSessions(x.User.ID)
	}
	return x.User, nil
}

// checkUser validates u against the offices it refers to and the logins
// already taken (which it then takes).
func (c *txn) checkUser(u User, cats map[string]*catalog, logins map[string]bool) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if logins[u.Login] {
		return E(KindConflict, CodeDuplicate, "kind", "login", "id", u.Login)
	}
	logins[u.Login] = true
	if u.Office == "" {
		return nil
	}
	cat := cats[u.Office]
	if cat == nil {
		return E(KindNotFound, CodeOfficeNotFound, "office", u.Office)
	}
	for i, n := range u.Windows {
		if cat.windows[n] == nil {
			return Invalid(fmt.Sprintf("windows[%d]", i), RuleUnknown, "window", fmt.Sprint(n))
		}
	}
	return nil
}

// putUser stages a user record and journals it (without the hash).
func (c *txn) putUser(rec *UserRecord) {
	c.put(userChange{rec})
	data, _ := json.Marshal(rec.User)
	c.emit(c.journal(rec.User.Office), EventConfigChanged, func(e *Event) {
		e.Config = &ConfigEntry{Kind: "user", ID: rec.User.ID, Data: data}
	})
}

// endSessions drops every session and token of subject.
func (c *txn) endSessions(subject string) {
	for h, cr := range c.w.creds {
		if cr.Subject == subject {
			c.put(credChange{hash: h})
		}
	}
}

// ClientToken is a client with its secret token, shown once.
type ClientToken struct {
	Client Client `json:"client"`
	Token  string `json:"token" doc:"the secret; only its hash is stored, so it cannot be shown again"`
}

type putClientCmd struct {
	Client Client
	Mode   Mode
	Rotate bool
}

// CreateClient registers an API key or a device and returns its token.
// Returns duplicate, office_not_found or invalid_field.
func (q *Queue) CreateClient(ctx context.Context, m Meta, cl Client) (ClientToken, error) {
	return run[ClientToken](ctx, q, m, putClientCmd{Client: cl, Mode: Create})
}

// UpdateClient changes a client's name, scopes or active flag; deactivating
// it revokes its token. Returns client_not_found.
func (q *Queue) UpdateClient(ctx context.Context, m Meta, cl Client) (ClientToken, error) {
	return run[ClientToken](ctx, q, m, putClientCmd{Client: cl, Mode: Update})
}

// RotateClient replaces a client's token.
func (q *Queue) RotateClient(ctx context.Context, m Meta, id string) (ClientToken, error) {
	return run[ClientToken](ctx, q, m, putClientCmd{Client: Client{ID: id}, Mode: Update, Rotate: true})
}

func (x putClientCmd) run(c *txn) (any, error) {
	cl := x.Client
	old := c.w.clients[cl.ID]
	if old != nil {
		if err := c.require(PermUsers, old.Office); err != nil {
			return nil, err
		}
	}
	if x.Rotate {
		if old == nil {
			return nil, E(KindNotFound, CodeClientNotFound, "id", cl.ID)
		}
		cl = *old
	}
	if err := c.require(PermUsers, cl.Office); err != nil {
		return nil, err
	}
	switch {
	case old != nil && x.Mode == Create:
		return nil, E(KindConflict, CodeDuplicate, "kind", "client", "id", cl.ID)
	case old == nil && x.Mode == Update:
		return nil, E(KindNotFound, CodeClientNotFound, "id", cl.ID)
	}
	if old != nil {
		cl.Created, cl.Kind = old.Created, old.Kind
	} else {
		cl.Created = c.now
	}
	if err := cl.Validate(); err != nil {
		return nil, err
	}
	if cl.Office != "" && c.w.offices[cl.Office] == nil {
		return nil, E(KindNotFound, CodeOfficeNotFound, "office", cl.Office)
	}
	n := cl
	c.put(clientChange{&n})
	data, _ := json.Marshal(n)
	c.emit(c.journal(n.Office), EventConfigChanged, func(e *Event) { e.Config = &ConfigEntry{Kind: "client", ID: n.ID, Data: data} })
	out := ClientToken{Client: n}
	if x.Rotate || !n.Active {
		c.endSessions(n.ID)
	}
	if n.Active && (old == nil || x.Rotate) {
		out.Token = newToken()
		h := HashToken(out.Token)
		c.put(credChange{hash: h, c: &Credential{Hash: h, Kind: "client", Subject: n.ID, Created: c.now}})
	}
	return out, nil
}

// Clients lists the clients the caller may see.
func (q *Queue) Clients(p *Principal) []Client {
	q.mu.RLock()
	defer q.mu.RUnlock()
	var out []Client
	for _, c := range q.r.clients {
		if p.Can(PermUsers, c.Office) {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b Client) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Users lists the users the caller may see.
func (q *Queue) Users(p *Principal) []User {
	q.mu.RLock()
	defer q.mu.RUnlock()
	var out []User
	for _, u := range q.r.users {
		if p.Can(PermUsers, u.User.Office) || (p.Can(PermManage, u.User.Office) && u.User.Office != "") {
			out = append(out, u.User)
		}
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
