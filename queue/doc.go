// Package queue is the domain of Talon, the electronic queue: offices and
// their service catalogues, windows, priority categories, people and
// clients; tickets and the state machine they move through; pre-bookings;
// the selection of whom to call next; statistics; and the engine (Queue) that
// applies every command through one writer with group commit, keeps a
// gap-free per-office event log, and fans committed events out (Hub).
//
// It owns every rule: kiosks, operators, managers and integrations all go
// through the same commands, so no limit is enforced only in a page. It
// imports only the standard library; storage is behind Store (queue/bolt),
// and the edges (web, cmd/talon) authenticate callers and pass a Principal.
package queue
