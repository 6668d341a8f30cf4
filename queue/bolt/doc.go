// Package bolt stores Talon's queue in one bbolt file: configuration,
// office day counters, window states, tickets (with an index of the active
// ones; a page code starts with its ticket's id), people, clients and their hashed credentials,
// bookings, idempotency records, and the per-office event logs with an index
// of the first event of each local day. Every commit is synced to disk before
// it returns (bbolt's default; NoSync is never set).
package bolt
