package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
)

// dbName is the store's file inside the data directory.
const dbName = "talon.db"

// engine is a queue on its bbolt store, closed together.
type engine struct {
	q     *queue.Queue
	store *bolt.Store
}

// Close stops the engine, then closes the store.
func (e *engine) Close() error {
	qerr := e.q.Close()
	serr := e.store.Close()
	return errors.Join(qerr, serr)
}

// openEngine opens the store in dir and the queue on it. When create is
// false a missing store is an error instead of a new empty file, so that a
// mistyped --data does not export an empty configuration. tick is the
// queue's TickEvery (0 for one-shot commands).
func openEngine(dir string, create bool, tick time.Duration, log *slog.Logger) (*engine, error) {
	path := filepath.Join(dir, dbName)
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no Talon data in %s: %w", dir, err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	store, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		if errors.Is(err, bolt.ErrLocked) {
			return nil, fmt.Errorf("%s is in use by another process (is `talon serve` running on %s?): "+
				"stop it first, or go through the server with --url and --token: %w", path, dir, err)
		}
		return nil, err
	}
	q, err := queue.Open(store, queue.Options{TickEvery: tick, Logger: log})
	if err != nil {
		store.Close()
		return nil, err
	}
	return &engine{q: q, store: store}, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place, so that a reader (or a crash)
// sees the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
