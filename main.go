// Command quarry is a desktop app for searching your own folders by
// meaning, privately, on your own machine.
//
// It opens a window; with --serve (or where there is no display) it serves
// the same interface over HTTP on a loopback address instead.
package main

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/evaluate"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/httpapi"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/service"
)

//go:embed all:frontend/dist
var assets embed.FS

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultServeAddr is where the UI is served when there is no display.
const defaultServeAddr = "127.0.0.1:8787"

type config struct {
	serve     string
	dataDir   string
	smokeTest bool
	logLevel  slog.Level
	lan       string
	lanCert   string
	lanKey    string
}

func main() {
	os.Exit(run())
}

func run() int {
	if generatingBindings {
		return generateBindings()
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "import-model":
			return importModel(os.Args[2:])
		case "eval":
			return evaluate.Run(context.Background(), os.Args[2:], os.Stdout)
		case "extract":
			return extract.Run(context.Background(), os.Args[2:], os.Stdout)
		case "user":
			return userCommand(os.Args[2:])
		}
	}
	var cfg config
	var showVersion bool
	flag.StringVar(&cfg.serve, "serve", "", "serve the UI and API over HTTP on this loopback `address` instead of opening a window (port 0 picks one)")
	flag.StringVar(&cfg.dataDir, "data-dir", "", "keep all data in this `directory` (default: the platform's app-data directory, or $"+locations.EnvDataDir+")")
	flag.BoolVar(&cfg.smokeTest, "smoke-test", false, "open the window, call a binding from the page, report and quit (for tests)")
	flag.BoolVar(&showVersion, "version", false, "print the version and exit")
	flag.StringVar(&cfg.lan, "lan", "", "share with colleagues over HTTPS on this `address` (such as 0.0.0.0:8788) for this run; they sign in with accounts made by `quarry user add` or in the app")
	flag.StringVar(&cfg.lanCert, "lan-cert", "", "PEM certificate `file` for sharing (default: a self-signed one, made on first use)")
	flag.StringVar(&cfg.lanKey, "lan-key", "", "PEM private key `file` of --lan-cert")
	flag.Parse()
	if (cfg.lanCert == "") != (cfg.lanKey == "") {
		fmt.Fprintln(os.Stderr, "quarry: give --lan-cert and --lan-key together")
		return 2
	}
	if showVersion {
		fmt.Println("quarry", version)
		return 0
	}
	if lvl := os.Getenv("QUARRY_LOG_LEVEL"); lvl != "" {
		if err := cfg.logLevel.UnmarshalText([]byte(lvl)); err != nil {
			fmt.Fprintf(os.Stderr, "quarry: QUARRY_LOG_LEVEL=%q: %v\n", lvl, err)
			return 2
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	locs, err := resolveLocations(cfg.dataDir)
	if err != nil {
		logger.Error("cannot decide where to keep data", "err", err)
		return 1
	}
	if os.Geteuid() == 0 && runtime.GOOS == "linux" {
		logger.Warn("running as root: the embedded database runs as the unprivileged user nobody", "data", locs.Base)
	}
	desktop := cfg.serve == ""
	if desktop && !hasDisplay() {
		cfg.serve = defaultServeAddr
		desktop = false
		logger.Warn("no display found; serving the interface over HTTP instead", "address", cfg.serve)
	}
	opts := quarry.Options{
		Locations:    locs,
		DatabaseURL:  os.Getenv(quarry.EnvDatabaseURL),
		PGBinaries:   os.Getenv(pgserver.EnvBinaries),
		QdrantURL:    os.Getenv(quarry.EnvQdrantURL),
		QdrantAPIKey: os.Getenv(quarry.EnvQdrantAPIKey),
		QdrantBinary: os.Getenv(quarry.EnvQdrantBinary),
		// OCR runs wherever tesseract is installed; QUARRY_OCR=0 turns it off.
		OCR:     os.Getenv("QUARRY_OCR") != "0",
		Device:  os.Getenv("QUARRY_DEVICE"),
		Version: version,
		Desktop: desktop,
		Logger:  logger,
		LAN:     cfg.lan,
		LANCert: cfg.lanCert,
		LANKey:  cfg.lanKey,
		UI:      frontendFS(),
	}
	if desktop {
		return runDesktop(cfg, opts)
	}
	return runServer(cfg, opts)
}

func resolveLocations(dir string) (locations.Locations, error) {
	if dir != "" {
		abs, err := filepathAbs(dir)
		if err != nil {
			return locations.Locations{}, err
		}
		return locations.New(abs), nil
	}
	return locations.Default()
}

func hasDisplay() bool {
	if runtime.GOOS != "linux" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

func frontendFS() fs.FS {
	sub, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// runServer is the headless mode: the same UI and the HTTP API on a
// loopback address until interrupted.
func runServer(cfg config, opts quarry.Options) int {
	logger := opts.Logger
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	host, _, err := net.SplitHostPort(cfg.serve)
	if err != nil {
		logger.Error("bad --serve address", "address", cfg.serve, "err", err)
		return 2
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		logger.Error("--serve answers the owner on a loopback address only; share with colleagues over HTTPS with --lan ADDR", "address", cfg.serve)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.serve)
	if err != nil {
		logger.Error("cannot listen", "address", cfg.serve, "err", err)
		return 1
	}
	t0 := time.Now()
	q, err := quarry.Start(ctx, opts)
	if err != nil {
		logger.Error("cannot start", "err", err)
		ln.Close()
		return 1
	}
	srv := &http.Server{
		Handler:           httpapi.New(q.Service(), frontendFS(), logger.With("component", "http")),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("ready", "took", time.Since(t0).Round(time.Millisecond))
	fmt.Printf("quarry: serving http://%s\n", ln.Addr())

	code := 0
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server stopped", "err", err)
			code = 1
		}
	}
	// Ordered shutdown: intake first, then the parts beneath it.
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	if err := q.Close(); err != nil {
		logger.Error("shutdown", "err", err)
		code = 1
	}
	logger.Info("stopped")
	return code
}

func filepathAbs(p string) (string, error) {
	p, err := locations.ExpandHome(p)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", p, err)
	}
	return abs, nil
}

// importModel is `quarry import-model`: install a model from folders on
// this machine, with no network.
func importModel(args []string) int {
	fs := flag.NewFlagSet("import-model", flag.ContinueOnError)
	name := fs.String("model", "", "registered model `name` (see the model list in the app)")
	variant := fs.String("variant", "fp32", "weights `variant`: fp32 or int8")
	dataDir := fs.String("data-dir", "", "Quarry's data `directory` (default: the platform's app-data directory)")
	unverified := fs.Bool("allow-unverified", false, "accept files that differ from the registry's pinned digests (a custom export)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: quarry import-model -model NAME [-variant fp32|int8] [-allow-unverified] FOLDER...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	locs, err := resolveLocations(*dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry:", err)
		return 1
	}
	info, err := service.ImportModelFiles(context.Background(), locs.Models, service.ImportModelRequest{
		Model: *name, Variant: *variant, Paths: fs.Args(), AllowUnverified: *unverified,
	})
	if err != nil {
		msg := err.Error()
		var ae *apperr.Error
		if errors.As(err, &ae) {
			msg = ae.Message
		}
		fmt.Fprintln(os.Stderr, "quarry: import-model:", msg)
		if apperr.Is(err, apperr.ModelUnknown) {
			return 2
		}
		return 1
	}
	fmt.Printf("imported %s into %s; a running Quarry uses it for new work, and embeds waiting text at its next start\n",
		info.DisplayName, filepath.Join(locs.Models, info.Name))
	return 0
}

// generateBindings hands Wails the bound methods without starting anything.
func generateBindings() int {
	err := wails.Run(&options.App{Title: "Quarry", Bind: []any{&App{}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry: generate bindings:", err)
		return 1
	}
	return 0
}

// runDesktop opens the window. Quarry's parts start before it, so every
// binding the page calls finds them ready.
func runDesktop(cfg config, opts quarry.Options) int {
	logger := opts.Logger
	t0 := time.Now()
	q, err := quarry.Start(context.Background(), opts)
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	logger.Info("ready", "took", time.Since(t0).Round(time.Millisecond))
	app := NewApp(q, logger, cfg.smokeTest)
	err = wails.Run(&options.App{
		Title:     "Quarry",
		Width:     1200,
		Height:    800,
		MinWidth:  720,
		MinHeight: 480,
		AssetServer: &assetserver.Options{
			Assets: frontendFS(),
		},
		BackgroundColour: &options.RGBA{R: 24, G: 24, B: 27, A: 255},
		OnStartup:        app.startup,
		OnDomReady:       app.domReady,
		OnShutdown:       app.shutdown,
		Bind:             []any{app},
		ErrorFormatter:   formatError,
		DragAndDrop: &options.DragAndDrop{
			EnableFileDrop:     true,
			DisableWebViewDrop: true,
		},
		Linux: &linux.Options{ProgramName: "quarry"},
	})
	if err != nil {
		logger.Error("window failed", "err", err)
		_ = q.Close()
		return 1
	}
	return app.exitCode()
}

// userCommand is `quarry user add [-admin] [-data-dir DIR] NAME`, with the
// password read from standard input: accounts for a headless machine.
func userCommand(args []string) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(os.Stderr, "usage: quarry user add [-admin] [-data-dir DIR] NAME  (the password is read from standard input)")
		return 2
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	admin := fs.Bool("admin", false, "make the user a Quarry administrator (every collection, users, settings, sharing)")
	dataDir := fs.String("data-dir", "", "Quarry's data `directory` (default: the platform's app-data directory)")
	display := fs.String("display-name", "", "the `name` others see (default: none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: quarry user add [-admin] [-data-dir DIR] NAME  (the password is read from standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if isTerminal(os.Stdin) {
		fmt.Fprint(os.Stderr, "Password (at least 10 characters; it is shown as you type): ")
	}
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "quarry: user add: read the password:", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	locs, err := resolveLocations(*dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry:", err)
		return 1
	}
	u, err := quarry.AddUser(context.Background(), quarry.Options{
		Locations: locs, DatabaseURL: os.Getenv(quarry.EnvDatabaseURL), PGBinaries: os.Getenv(pgserver.EnvBinaries), Version: version,
	}, service.CreateUserRequest{Username: fs.Arg(0), Password: password, DisplayName: *display, IsAdmin: *admin})
	if err != nil {
		msg := err.Error()
		var ae *apperr.Error
		if errors.As(err, &ae) {
			msg = ae.Message
		}
		fmt.Fprintln(os.Stderr, "quarry: user add:", msg)
		if ae != nil && ae.Code != apperr.Internal {
			return 2
		}
		return 1
	}
	role := "user"
	if u.IsAdmin {
		role = "administrator"
	}
	fmt.Printf("added %s %s; they sign in at the address `quarry --lan ADDR` prints\n", role, u.Username)
	return 0
}

// isTerminal reports whether f is a character device (a person typing).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
