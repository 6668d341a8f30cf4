package profiles

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// loadAll reads and parses every *.json file at the root of fsys as one
// profile of a kind ("printer", "display"). Each ID must match its file name
// and be unique. The result is sorted by ID.
func loadAll[T any](fsys fs.FS, kind string, parse func([]byte) (T, error), id func(T) string) ([]T, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("profiles: list %ss: %w", kind, err)
	}
	out := make([]T, 0, len(names))
	seen := map[string]string{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("profiles: read %s: %w", name, err)
		}
		p, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("profiles: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); id(p) != want {
			return nil, fmt.Errorf("profiles: %s: id %q must match the file name", name, id(p))
		}
		if prev, dup := seen[id(p)]; dup {
			return nil, fmt.Errorf("profiles: %s: id %q already defined in %s", name, id(p), prev)
		}
		seen[id(p)] = name
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	return out, nil
}

// builtinAll loads the profiles built into the binary under dir.
func builtinAll[T any](fsys fs.FS, dir string, load func(fs.FS) ([]T, error)) ([]T, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("profiles: %s: %w", dir, err)
	}
	return load(sub)
}

// findByID returns the profile with the given ID from list.
func findByID[T any](list []T, kind, want string, id func(T) string) (T, error) {
	for _, p := range list {
		if id(p) == want {
			return p, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("profiles: %s %q not found", kind, want)
}

// parseStrict decodes one profile from JSON, refusing unknown fields (to
// catch typos), and validates it.
func parseStrict[T interface{ Validate() error }](data []byte, kind string) (T, error) {
	var p T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var zero T
		return zero, fmt.Errorf("decode %s: %w", kind, err)
	}
	if err := p.Validate(); err != nil {
		var zero T
		return zero, err
	}
	return p, nil
}

// parseHex decodes hex pairs, spaces allowed: "1d 56 42 00".
func parseHex(s string) ([]byte, error) {
	raw, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, fmt.Errorf("bytes %q: %w", s, err)
	}
	return raw, nil
}
