// Command qdrant-standin runs Quarry's in-process Qdrant stand-in as its own
// process, configured like Qdrant through QDRANT__ environment variables, so
// the sidecar supervisor can be tested against a real child process. It
// serves the gRPC subset on QDRANT__SERVICE__GRPC_PORT and GET /readyz and
// /healthz on QDRANT__SERVICE__HTTP_PORT. Data is kept in memory only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/quarry-search/quarry/backend/qdrant/standin"
)

func main() {
	flag.Bool("disable-telemetry", true, "accepted for compatibility with qdrant; the stand-in sends nothing")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log); err != nil {
		log.Error("qdrant stand-in failed", "err", err)
		os.Exit(1)
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, log *slog.Logger) error {
	host := env("QDRANT__SERVICE__HOST", "127.0.0.1")
	grpcAddr := net.JoinHostPort(host, env("QDRANT__SERVICE__GRPC_PORT", "6334"))
	httpAddr := net.JoinHostPort(host, env("QDRANT__SERVICE__HTTP_PORT", "6333"))
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return fmt.Errorf("listen grpc: %w", err)
	}
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		gl.Close()
		return fmt.Errorf("listen http: %w", err)
	}
	srv := standin.New(standin.Options{APIKey: os.Getenv("QDRANT__SERVICE__API_KEY"), Logger: log})
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "all shards are ready") }
	mux.HandleFunc("GET /readyz", ok)
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /livez", ok)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, cancelServe := context.WithCancel(ctx)
	defer cancelServe()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() { errs <- srv.Serve(ctx, gl) })
	wg.Go(func() {
		if err := hs.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("serve http: %w", err)
		}
	})
	log.Info("qdrant stand-in listening", "grpc", gl.Addr(), "http", hl.Addr(), "pid", os.Getpid())
	var first error
	select {
	case <-ctx.Done():
	case first = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	cancelServe()
	wg.Wait()
	log.Info("qdrant stand-in stopped")
	return first
}
