package httpapi

// Latency of signing in and searching through the LAN sharing listener:
// real TLS (the listener's self-signed certificate) on 127.0.0.1, one
// client with keep-alive connections, real PostgreSQL, the indexer and
// the ONNX model. Run with
//
//	go test ./backend/httpapi -run '^$' -bench BenchmarkLAN -benchtime 200x
//
// Each reports the median and 99th percentile of single requests
// (p50-ms, p99-ms) beside Go's mean (ns/op).

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/auth"
	"github.com/quarry-search/quarry/backend/service"
)

// liftLimits takes the per-address sign-in allowance (2/s) and the
// per-caller search allowance (20/s) out of the way: a benchmark
// measures the work of a request, not the limiter's refusals.
func liftLimits(h *Handler) {
	h.limits = &limits{login: auth.NewBucket(1e9, 1e9), search: auth.NewBucket(1e9, 1e9)}
}

// quantiles reports the median and the 99th percentile of took.
func reportQuantiles(b *testing.B, took []time.Duration) {
	b.Helper()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 {
		i := int(q * float64(len(took)-1))
		return float64(took[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func benchLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// timed sends the request once per iteration, failing on any status but
// want, and reports the quantiles.
func timeRequests(b *testing.B, r *lanRig, c *http.Client, want int, next func(i int) (method, path, body string, opts []reqOpt)) {
	b.Helper()
	// The connection (and its TLS handshake) is made before timing.
	m, p, body, opts := next(-1)
	if got := r.doWith(b, c, m, p, body, opts...); got.status != want {
		b.Fatalf("warm-up %s %s: %s", m, p, got)
	}
	var took []time.Duration
	i := 0
	for b.Loop() {
		m, p, body, opts := next(i)
		i++
		t0 := time.Now()
		got := r.doWith(b, c, m, p, body, opts...)
		took = append(took, time.Since(t0))
		if got.status != want {
			b.Fatalf("%s %s: %s", m, p, got)
		}
	}
	reportQuantiles(b, took)
}

// BenchmarkLANLogin times POST /auth/login with the right password: one
// argon2id check (19 MiB, two passes), a refresh token written to
// PostgreSQL, the audit line, and a signed access token. The sign-in
// limiter is lifted (see liftLimits); with it, one address gets 10 at
// once and then 2 a second.
func BenchmarkLANLogin(b *testing.B) {
	for _, proto := range []string{"h2", "http1.1"} {
		b.Run(proto, func(b *testing.B) {
			r := newLANRig(b, benchLogger(), liftLimits)
			if _, err := r.svc.CreateUser(ownerCtx, service.CreateUserRequest{Username: "bench", Password: testPassword}); err != nil {
				b.Fatal(err)
			}
			c := r.newClient(b, proto == "h2", nil)
			body := `{"username":"bench","password":"` + testPassword + `"}`
			timeRequests(b, r, c, http.StatusOK, func(int) (string, string, string, []reqOpt) {
				return "POST", "/api/v1/auth/login", body, nil
			})
		})
	}
	// The same sign-in as a service call, without HTTP and TLS: the
	// difference to the above is what the listener adds.
	b.Run("service", func(b *testing.B) {
		r := newLANRig(b, benchLogger(), nil)
		if _, err := r.svc.CreateUser(ownerCtx, service.CreateUserRequest{Username: "bench", Password: testPassword}); err != nil {
			b.Fatal(err)
		}
		var took []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := r.svc.Login(ownerCtx, service.LoginRequest{Username: "bench", Password: testPassword}, "192.0.2.1"); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		reportQuantiles(b, took)
	})
}

// BenchmarkLANSearch times POST /search by a colleague with read access
// to a collection of 200 indexed text files (the MiniLM-shaped int8
// model): keyword alone, and hybrid, which embeds the query. Each query
// differs, so no answer is cached.
func BenchmarkLANSearch(b *testing.B) {
	r := newLANRig(b, benchLogger(), liftLimits)
	c, err := r.svc.CreateCollection(ownerCtx, service.CreateCollectionRequest{Name: "Bench", Model: "all-MiniLM-L6-v2"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	words := []string{"lighthouse", "harbour", "tide", "keeper", "lantern", "storm", "buoy", "pier", "gull", "ferry"}
	for i := range 200 {
		var text string
		for p := range 120 {
			text += words[(i*7+p*p)%len(words)] + " "
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("note-%03d.txt", i)), []byte(fmt.Sprintf("Note %d. %s\n", i, text)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	src, err := r.svc.AddSource(ownerCtx, c.ID, service.AddSourceRequest{Path: dir})
	if err != nil {
		b.Fatal(err)
	}
	if op := r.wait(b, src.OperationID); op.Status != "completed" {
		b.Fatalf("index: %s %s", op.Status, op.Error)
	}
	if _, err := r.svc.CreateUser(ownerCtx, service.CreateUserRequest{Username: "reader", Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	r.grant(b, c.ID, "reader", service.LevelRead)
	s, err := r.svc.Login(ownerCtx, service.LoginRequest{Username: "reader", Password: testPassword}, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"keyword", "hybrid"} {
		for _, proto := range []string{"h2", "http1.1"} {
			b.Run(mode+"/"+proto, func(b *testing.B) {
				client := r.newClient(b, proto == "h2", nil)
				timeRequests(b, r, client, http.StatusOK, func(i int) (string, string, string, []reqOpt) {
					q := fmt.Sprintf(`{"query":"%s %s note %d","mode":%q}`, words[(i+10)%len(words)], words[(i*3+11)%len(words)], i, mode)
					return "POST", "/api/v1/search", q, []reqOpt{withBearer(s.AccessToken)}
				})
			})
		}
	}
}
