package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/freshet/freshet/handlers"
	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// serveConfig is what serve and worker need.
type serveConfig struct {
	Addr      string
	DB        string
	DataDir   string
	Demo      bool
	DemoSpeed float64
	MaxBody   int64
	MaxRows   int
	LogFormat string
	LogLevel  string
	// MonitorEvery is how often closed windows are profiled.
	MonitorEvery time.Duration
	// MaxTrainings, TrainMemoryMB and TrainNice are the training
	// processes' resource limits (0: the defaults).
	MaxTrainings  int
	TrainMemoryMB int64
	TrainNice     int
}

func serveFlags(fs *flag.FlagSet, c *serveConfig, web bool) {
	fs.StringVar(&c.DB, "db", "freshet.db", "SQLite database file")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for model artifacts and exports (default: next to the database)")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&c.MonitorEvery, "monitor-every", 10*time.Second, "how often closed monitoring windows are profiled")
	fs.IntVar(&c.MaxTrainings, "max-trainings", 0, "trainings that may run at once (default: 1 on up to 3 cores, else half the cores)")
	fs.Int64Var(&c.TrainMemoryMB, "train-memory-mb", 0, "memory limit of a training process in MiB (default: half the machine's memory)")
	fs.IntVar(&c.TrainNice, "train-nice", 10, "CPU priority (nice) of training processes, 1-19")
	if web {
		fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
		fs.BoolVar(&c.Demo, "demo", true, "install the demo model and stream Elec2 into it")
		fs.Float64Var(&c.DemoSpeed, "demo-speed", 7*24*60, "demo clock: data seconds per wall second (10080 = one week per minute)")
		fs.Int64Var(&c.MaxBody, "max-body", handlers.DefaultMaxBody, "largest request body in bytes")
		fs.IntVar(&c.MaxRows, "max-rows", handlers.DefaultMaxRows, "most rows in one ingest request")
	}
}

func (c *serveConfig) validate() error {
	if c.DB == "" {
		return errors.New("--db must name a file")
	}
	if c.DemoSpeed < 0 {
		return errors.New("--demo-speed must be positive")
	}
	if c.MaxTrainings < 0 || c.TrainMemoryMB < 0 || c.TrainNice < 0 || c.TrainNice > 19 {
		return errors.New("--max-trainings and --train-memory-mb must be positive, --train-nice 1 to 19")
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(filepath.Dir(c.DB), "freshet-data")
	}
	return nil
}

// Main is a running server; tests start one without flag parsing.
type Main struct {
	Config   serveConfig
	Log      *slog.Logger
	DB       *store.DB
	Jobs     *jobs.Runner
	HTTP     *http.Server
	Listener net.Listener
	// AdminPassword is set when Open created the first admin.
	AdminPassword string
}

// Open opens the store, creates the first admin on a fresh database,
// builds the job runner and the HTTP server, and listens.
func (m *Main) Open(ctx context.Context, work bool) error {
	db, err := store.Open(ctx, m.Config.DB)
	if err != nil {
		return err
	}
	m.DB = db
	if err := os.MkdirAll(m.Config.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if n, err := db.CountUsers(ctx); err != nil {
		return err
	} else if n == 0 {
		_, pw, err := db.CreateUser(ctx, ml.SystemActor, "admin", ml.RoleAdmin, true)
		if err != nil {
			return err
		}
		m.AdminPassword = pw
	}
	m.Jobs, err = jobs.New(ctx, db, m.Log, jobs.Config{Demo: m.Config.Demo, DemoSpeed: m.Config.DemoSpeed, Work: work, DataDir: m.Config.DataDir, MonitorEvery: m.Config.MonitorEvery,
		MaxTrainings: m.Config.MaxTrainings, Limits: jobs.ChildLimits{MemoryBytes: m.Config.TrainMemoryMB << 20, Nice: m.Config.TrainNice}})
	if err != nil {
		return err
	}
	if err := m.Jobs.InstallDemo(ctx); err != nil {
		return err
	}
	if m.Config.Addr == "" {
		return nil
	}
	srv := &handlers.Server{DB: db, Jobs: m.Jobs, Serving: m.Jobs.Serving, Log: m.Log, MaxBody: m.Config.MaxBody, MaxRows: m.Config.MaxRows, Demo: m.Config.Demo, DemoSpeed: m.Config.DemoSpeed}
	m.HTTP = &http.Server{
		Handler:           srv.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large uploads
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.Listener, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	return nil
}

// Run serves until ctx ends, then shuts down: HTTP first, then workers.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Jobs.Start(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	if m.HTTP != nil {
		go func() { errc <- m.HTTP.Serve(m.Listener) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return m.Close()
}

// Close stops HTTP, then the workers, then the store.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if m.HTTP != nil {
		errs = append(errs, m.HTTP.Shutdown(ctx))
	}
	if m.Jobs != nil {
		errs = append(errs, m.Jobs.Stop(ctx))
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, web bool) error {
	var c serveConfig
	fs := newFlagSet("serve", stderr)
	serveFlags(fs, &c, web)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	m := &Main{Config: c, Log: log}
	if err := m.Open(ctx, true); err != nil {
		if m.DB != nil {
			m.Close()
		}
		return err
	}
	if m.AdminPassword != "" {
		fmt.Fprintf(stdout, "\n  First run: created user \"admin\" with the one-time password\n\n      %s\n\n  It is shown only this once; you will choose your own at first login.\n\n", m.AdminPassword)
	}
	if m.Listener != nil {
		fmt.Fprintf(stdout, "freshet %s serving http://%s (db %s)\n", version, m.Listener.Addr(), c.DB)
	}
	log.Info("started", "addr", c.Addr, "db", c.DB, "demo", c.Demo)
	return m.Run(ctx)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServe(ctx, args, stdout, stderr, false)
}
