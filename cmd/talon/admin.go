package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/web"
)

func (c *cli) adminCreate(ctx context.Context, args []string) error {
	fs := c.flagSet("admin create", "talon admin create --login L [--password P] [--name N] [--id ID] [--data DIR]")
	data := dataFlag(fs)
	loginName := fs.String("login", "", "login of the new administrator (required)")
	password := fs.String("password", "", "password, at least 8 characters; asked for (or read from standard input) when absent; on the command line others can read it in ps, so prefer TALON_PASSWORD or standard input")
	name := fs.String("name", "Администратор", "display name")
	id := fs.String("id", "", "user id (default: derived from the login)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("admin create takes no arguments, got %q", pos)
	}
	if *loginName == "" {
		return usagef("admin create needs --login")
	}
	u := queue.User{ID: *id, Login: strings.ToLower(*loginName), Name: *name, Role: queue.RoleAdmin, Active: true}
	if u.ID == "" {
		u.ID = idFromLogin(u.Login)
	}
	if err := u.Validate(); err != nil { // before asking for a password
		return fmt.Errorf("admin create: %w", err)
	}
	pw := *password
	if slices.ContainsFunc(args, func(a string) bool { // on the command line, not from TALON_PASSWORD
		return strings.HasPrefix(strings.TrimLeft(a, "-"), "password") && strings.HasPrefix(a, "-")
	}) {
		fmt.Fprintln(c.stderr, "talon admin create: warning: a password given with --password can be read by other users of this machine (ps, shell history); prefer TALON_PASSWORD or standard input")
	}
	if pw == "" {
		if pw, err = c.readPassword(); err != nil {
			return fmt.Errorf("admin create: %w", err)
		}
	}
	hash, err := web.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	err = withEngine(*data, true, func(e *engine) error {
		ictx, cancel := context.WithTimeout(ctx, openTimeout)
		defer cancel()
		_, err := e.q.PutUser(ictx, queue.Meta{Principal: queue.System(), Device: "talon admin create"}, u, queue.Create, hash)
		return err
	})
	if errors.Is(err, queue.E(queue.KindConflict, queue.CodeDuplicate)) {
		return fmt.Errorf("admin create: a user with id %q or login %q already exists (%w)", u.ID, u.Login, err)
	}
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(c.stdout, "administrator %q (id %s) created in %s\n", u.Login, u.ID, *data)
	return nil
}

// idFromLogin turns a login (which may hold '.' and '@') into a user id.
func idFromLogin(login string) string {
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, login)
	id = strings.TrimLeft(id, "-_")
	if len(id) > 64 {
		id = id[:64]
	}
	if id == "" {
		return "admin"
	}
	return id
}

// readPassword asks for the password twice on a terminal, without echo, or
// reads the first line of standard input when it is not a terminal.
func (c *cli) readPassword() (string, error) {
	if c.stdin != nil && isTerminal(c.stdin) {
		first, err := readSecret(c.stdin, c.stderr, "Password: ")
		if err != nil {
			return "", err
		}
		again, err := readSecret(c.stdin, c.stderr, "Repeat password: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", errors.New("the passwords differ")
		}
		return first, nil
	}
	if c.stdin == nil {
		return "", errors.New("no --password and no standard input")
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: give --password, TALON_PASSWORD or a line on standard input")
	}
	return line, nil
}
