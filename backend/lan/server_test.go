package lan

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
)

// lockedBuffer collects log and stdout output written from several
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testServer struct {
	*Server
	certDir string
	log     *lockedBuffer
	stdout  *lockedBuffer
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello over %s", r.Proto)
})

// newTestServer returns a stopped Server with its own certificate
// directory; it is stopped again when the test ends.
func newTestServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	ts := &testServer{log: &lockedBuffer{}, stdout: &lockedBuffer{}}
	if opts.CertDir == "" {
		opts.CertDir = filepath.Join(t.TempDir(), "certs")
	}
	if opts.Handler == nil {
		opts.Handler = hello
	}
	ts.certDir = opts.CertDir
	opts.Logger = slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts.Stdout = ts.stdout
	ts.Server = New(opts)
	t.Cleanup(func() {
		if err := ts.Stop(context.Background()); err != nil {
			t.Errorf("Stop at cleanup: %v", err)
		}
	})
	return ts
}

// httpsClient trusts only root and checks the certificate for serverName
// ("" checks the IP address of the URL).
func httpsClient(t testing.TB, root *x509.Certificate, serverName string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if root != nil {
		pool.AddCert(root)
	}
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: serverName},
		ForceAttemptHTTP2: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestServerServesHTTPS(t *testing.T) {
	ts := newTestServer(t, Options{})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	st := ts.Status()
	if !st.Running || st.Error != "" {
		t.Fatalf("Status = %+v, want running without error", st)
	}
	if st.Address == "127.0.0.1:0" || !strings.HasPrefix(st.Address, "127.0.0.1:") {
		t.Errorf("Address = %q, want 127.0.0.1 with the bound port", st.Address)
	}
	if a := ts.Addr(); a == nil || a.String() != st.Address {
		t.Errorf("Addr() = %v, want %s", a, st.Address)
	}
	url := "https://" + st.Address
	if want := []string{url}; !slices.Equal(st.URLs, want) {
		t.Errorf("URLs = %q, want %q", st.URLs, want)
	}
	if st.Certificate != KindSelfSigned {
		t.Errorf("Certificate = %q, want %q", st.Certificate, KindSelfSigned)
	}
	if want := fingerprintOfFile(t, filepath.Join(ts.certDir, CertFileName)); st.Fingerprint != want {
		t.Errorf("Fingerprint = %s, want %s (of the stored certificate)", st.Fingerprint, want)
	}
	if !strings.HasPrefix(st.QR, "data:image/png;base64,") {
		t.Errorf("QR = %.40q…, want a PNG data URL", st.QR)
	}

	stored, err := LoadOrCreate(ts.certDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", ""} {
		t.Run("verified as "+cmpName(name), func(t *testing.T) {
			body, err := get(httpsClient(t, stored.TLS.Leaf, name), url+"/")
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			if want := "hello over HTTP/2.0"; body != want {
				t.Errorf("body = %q, want %q", body, want)
			}
		})
	}
	t.Run("untrusted", func(t *testing.T) {
		_, err := get(httpsClient(t, nil, ""), url+"/")
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("GET with an empty root pool = %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		c := httpsClient(t, stored.TLS.Leaf, "")
		c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
		if _, err := get(c, url+"/"); err == nil {
			t.Error("GET over TLS 1.1 succeeded, want a handshake failure")
		}
	})
	t.Run("plain HTTP refused", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		if body, err := get(c, "http://"+st.Address+"/"); err == nil && strings.HasPrefix(body, "hello") {
			t.Errorf("plain HTTP was served: %q", body)
		}
	})

	wantLine := fmt.Sprintf("quarry: sharing %s (certificate sha256 %s)\n", url, st.Fingerprint)
	if got := ts.stdout.String(); got != wantLine {
		t.Errorf("stdout = %q, want %q", got, wantLine)
	}
	if n := strings.Count(ts.log.String(), "msg=sharing "); n != 1 {
		t.Errorf("logged \"sharing\" %d times, want once:\n%s", n, ts.log.String())
	}
}

func cmpName(s string) string {
	if s == "" {
		return "IP"
	}
	return s
}

func TestServerStartIsIdempotentAndRestarts(t *testing.T) {
	ts := newTestServer(t, Options{})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	first := ts.Status()
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	if again := ts.Status(); again.Address != first.Address {
		t.Errorf("second Start with the same address moved %s to %s", first.Address, again.Address)
	}
	if n := strings.Count(ts.stdout.String(), "quarry: sharing"); n != 1 {
		t.Errorf("announced %d times after an idempotent Start, want once", n)
	}

	// A different address string restarts, even on the very same port:
	// the old listener must be gone before the new one binds.
	_, port, _ := net.SplitHostPort(first.Address)
	moved := "127.0.0.1:" + port
	if err := ts.Start(moved); err != nil {
		t.Fatalf("Start(%s): %v", moved, err)
	}
	st := ts.Status()
	if !st.Running || st.Address != moved {
		t.Errorf("after restart Status = %+v, want running on %s", st, moved)
	}
	if st.Fingerprint != first.Fingerprint {
		t.Errorf("restart changed the fingerprint from %s to %s", first.Fingerprint, st.Fingerprint)
	}
	if n := strings.Count(ts.stdout.String(), "quarry: sharing"); n != 2 {
		t.Errorf("announced %d times after a restart, want twice", n)
	}
	root, err := LoadOrCreate(ts.certDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(httpsClient(t, root.TLS.Leaf, "localhost"), "https://"+moved+"/"); err != nil {
		t.Errorf("GET after restart: %v", err)
	}
}

func TestServerStop(t *testing.T) {
	ts := newTestServer(t, Options{})
	if err := ts.Stop(t.Context()); err != nil {
		t.Errorf("Stop before Start = %v, want nil", err)
	}
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	addr := ts.Status().Address
	if err := ts.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st := ts.Status(); st.Running || st.Address != "" || st.URLs != nil || st.Fingerprint != "" || st.Certificate != "" || st.QR != "" || st.Error != "" {
		t.Errorf("Status after Stop = %+v, want the zero Status", st)
	}
	if a := ts.Addr(); a != nil {
		t.Errorf("Addr after Stop = %v, want nil", a)
	}
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
	if err := ts.Stop(t.Context()); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if !ts.Status().Running {
		t.Error("not running after Start following Stop")
	}
}

// A stream that only ends when its request is cancelled (the event stream)
// must not hold Stop until its deadline.
func TestServerStopEndsStreams(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan struct{})
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
		close(ended)
	})
	ts := newTestServer(t, Options{Handler: stream})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	root, err := LoadOrCreate(ts.certDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := httpsClient(t, root.TLS.Leaf, "")
	c.Timeout = 0
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, err := c.Get("https://" + ts.Status().Address + "/events")
		if err != nil {
			t.Errorf("GET stream: %v", err)
			close(started)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	<-started

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := ts.Stop(ctx); err != nil {
		t.Errorf("Stop with an open stream = %v, want a graceful nil", err)
	}
	select {
	case <-ended:
	default:
		t.Error("stream handler still running after Stop")
	}
	wg.Wait()
}

func TestServerPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, port, _ := net.SplitHostPort(taken.Addr().String())

	ts := newTestServer(t, Options{})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	err = ts.Start(taken.Addr().String())
	want := "Port " + port + " is already in use on this machine: choose another address for sharing."
	var e *apperr.Error
	if !errors.As(err, &e) || e.Message != want || e.Code != apperr.Conflict || e.Field != "address" {
		t.Fatalf("Start on a taken port = %#v, want Conflict on field address: %q", err, want)
	}
	if st := ts.Status(); st.Running || st.Error != want {
		t.Errorf("Status = %+v, want stopped with Error %q", st, want)
	}
	if ts.Addr() != nil {
		t.Error("Addr() not nil after a failed Start")
	}
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start after failure: %v", err)
	}
	if st := ts.Status(); !st.Running || st.Error != "" {
		t.Errorf("Status after recovery = %+v, want running, error cleared", st)
	}
}

func TestServerBadAddress(t *testing.T) {
	for _, addr := range []string{"", "8788", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http-ish", "127.0.0.1:65536", "127.0.0.1:-1", "1:2:3", "[::1:8788"} {
		t.Run(addr, func(t *testing.T) {
			ts := newTestServer(t, Options{})
			err := ts.Start(addr)
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.InvalidArgument || e.Field != "address" {
				t.Fatalf("Start(%q) = %v, want InvalidArgument on field address", addr, err)
			}
			if want := "give host:port, e.g. 0.0.0.0:8788."; !strings.Contains(e.Message, want) {
				t.Errorf("message = %q, want it to contain %q", e.Message, want)
			}
			if st := ts.Status(); st.Running || st.Error != e.Message {
				t.Errorf("Status = %+v, want stopped with the message", st)
			}
		})
	}
}

func TestServerProvidedCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, "owner", time.Now().Add(90*24*time.Hour))
	certDir := filepath.Join(dir, "certs")
	ts := newTestServer(t, Options{CertDir: certDir, CertFile: certFile, KeyFile: keyFile})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	st := ts.Status()
	if want := fingerprintOfFile(t, certFile); st.Certificate != KindProvided || st.Fingerprint != want {
		t.Errorf("Status certificate %q fingerprint %s, want %q %s", st.Certificate, st.Fingerprint, KindProvided, want)
	}
	if _, err := os.Stat(filepath.Join(certDir, CertFileName)); err == nil {
		t.Error("a self-signed certificate was created although one was provided")
	}
	provided, err := LoadProvided(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(httpsClient(t, provided.TLS.Leaf, "localhost"), "https://"+st.Address+"/"); err != nil {
		t.Errorf("GET: %v", err)
	}
}

func TestServerCertificateErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, "owner", time.Now().Add(90*24*time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	writeFile(t, garbage, []byte("garbage"))
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"only a certificate", Options{CertFile: certFile}, "Give both a certificate file and its key file"},
		{"only a key", Options{KeyFile: keyFile}, "Give both a certificate file and its key file"},
		{"garbage certificate", Options{CertFile: garbage, KeyFile: keyFile}, "is not a PEM certificate: give the certificate file from your CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.opts)
			err := ts.Start("127.0.0.1:0")
			var e *apperr.Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("Start = %v, want a user-facing error containing %q", err, tt.want)
			}
			if st := ts.Status(); st.Running || st.Error != e.Message {
				t.Errorf("Status = %+v, want stopped with the message", st)
			}
		})
	}
}

// Run with -race: Status and Addr from many goroutines while the listener
// starts, moves and stops.
func TestServerConcurrentUse(t *testing.T) {
	ts := newTestServer(t, Options{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				st := ts.Status()
				if st.Running && len(st.URLs) == 0 {
					t.Error("running without URLs")
					return
				}
				_ = ts.Addr()
			}
		})
	}
	for i := range 5 {
		if err := ts.Start("127.0.0.1:0"); err != nil {
			t.Errorf("Start %d: %v", i, err)
		}
		if err := ts.Start("localhost:0"); err != nil {
			t.Errorf("Start localhost %d: %v", i, err)
		}
		if err := ts.Stop(t.Context()); err != nil {
			t.Errorf("Stop %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
}
