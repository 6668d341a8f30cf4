package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/web"
)

// The server prints to kiosks' network printers through the ESC/POS adapter.
var _ web.Printers = (*escpos.Network)(nil)

// Addresses of serve: every interface normally, only this machine for a demo
// (its credentials are written to a file).
const (
	defaultAddr     = ":8080"
	defaultDemoAddr = "127.0.0.1:8080"
	shutdownTimeout = 5 * time.Second
)

func (c *cli) serve(ctx context.Context, args []string) error {
	fs := c.flagSet("serve", "talon serve [--addr :8080] [--data ./talon-data] [--demo] [--secure-cookies] [--session-ttl 12h] [--public-url https://queue.example.ru] [--trusted-proxies 10.0.0.5] [--gc-floor-mb N] [--debug-addr 127.0.0.1:6060]")
	addr := fs.String("addr", defaultAddr, "address to listen on (with --demo: "+defaultDemoAddr+" unless given)")
	data := dataFlag(fs)
	demo := fs.Bool("demo", false, "create (or reuse) a demo office with published credentials in <data>/demo-credentials.json")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served behind TLS)")
	ttl := fs.Duration("session-ttl", 12*time.Hour, "how long a login lasts")
	public := fs.String("public-url", "", "address applicants' phones reach this server at, for the QR code on tickets (default: the address the kiosk uses)")
	proxyList := fs.String("trusted-proxies", "", "reverse proxies in front of the server (addresses or networks, comma-separated): from them X-Forwarded-For names the client, for login limits and the journal")
	gcFloorMiB := fs.Int("gc-floor-mb", -1, "let garbage pile up to this many MiB before collecting (-1: a quarter of memory, at most 1024; 0: Go's default policy at GOGC=400)")
	debugAddr := fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof/) at this loopback address, e.g. 127.0.0.1:6060; off when empty")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	proxies, err := web.ParseProxies(*proxyList)
	if err != nil {
		return usagef("--trusted-proxies %q: %v", *proxyList, err)
	}
	if *demo && !isSet(fs, "addr") {
		*addr = defaultDemoAddr
	}

	if *debugAddr != "" {
		at, err := serveDebug(*debugAddr)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "talon: profiler at http://%s/debug/pprof/\n", at)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(c.stderr, nil))
	switch {
	case c.getenv("GOGC") != "" || c.getenv("GOMEMLIMIT") != "":
		// The environment's policy wins.
	case *gcFloorMiB == 0:
		debug.SetGCPercent(gcPercent)
	default:
		floor := defaultGCFloor()
		if *gcFloorMiB > 0 {
			floor = uint64(*gcFloorMiB) << 20
		}
		defer startGCFloor(floor, gcPercent)()
		limit := totalMemory() / 10 * 9
		if limit > 0 {
			// A soft limit under the machine's or the cgroup's memory: the
			// runtime collects harder near it instead of being killed.
			debug.SetMemoryLimit(int64(limit))
		}
		log.Info("garbage collector", "floor_mib", floor>>20, "gogc", gcPercent, "limit_mib", limit>>20)
	}

	eng, err := openEngine(*data, true, time.Second, log.With("component", "queue"))
	if err != nil {
		return err
	}
	defer func() {
		if err := eng.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	printers, err := escpos.NewNetwork()
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{Queue: eng.q, Logger: log.With("component", "web"), Demo: *demo,
		SecureCookies: *secure, SessionTTL: *ttl, Version: version(), Printers: printers, PublicURL: *public, TrustedProxies: proxies})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := baseURL(ln.Addr())

	// The port is bound but nothing is served until the demo is ready, so
	// that whoever sees /healthz answer also finds the credentials file.
	if *demo {
		path := filepath.Join(*data, credentialsFile)
		reused, err := ensureDemo(ctx, eng.q, path, url)
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("demo ready", "office", demoOffice, "credentials", path, "reused", reused)
		fmt.Fprintf(c.stdout, "Talon demo at %s\nLogins, passwords and device tokens: %s (jq . %s)\n", url, path, path)
	} else if !hasAdmin(eng.q) {
		log.Warn("no administrator yet; stop the server and create one with: talon admin create --login admin --data " + *data)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", url, "data", *data, "version", version(), "demo", *demo)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills at once
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		log.Error("serve", "err", err)
	}
	return nil
}

// baseURL is the address a browser on this machine opens for a listener:
// an unspecified host (":8080", "0.0.0.0") becomes 127.0.0.1.
func baseURL(a net.Addr) string {
	host, port := "127.0.0.1", ""
	if ta, ok := a.(*net.TCPAddr); ok {
		port = fmt.Sprint(ta.Port)
		if !ta.IP.IsUnspecified() && ta.IP != nil {
			host = ta.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// hasAdmin reports whether an administrator can log in: active and with a
// password (users imported with the configuration have none yet).
func hasAdmin(q *queue.Queue) bool {
	for _, u := range q.Export().Users {
		if u.Role == queue.RoleAdmin {
			if _, _, err := q.UserByLogin(u.Login); err == nil {
				return true
			}
		}
	}
	return false
}
