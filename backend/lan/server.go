package lan

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
)

// Certificate kinds as Status reports them.
const (
	KindSelfSigned = "self-signed"
	KindProvided   = "provided"
)

// restartStopTimeout bounds stopping the old listener when Start moves to a
// new address.
const restartStopTimeout = 5 * time.Second

// Options configure a Server.
type Options struct {
	// Handler serves every request; it does its own authentication.
	Handler http.Handler
	Logger  *slog.Logger
	// CertDir keeps the self-signed certificate (see LoadOrCreate).
	CertDir string
	// CertFile and KeyFile name an owner-provided pair; when both are set
	// they are used instead of the self-signed certificate.
	CertFile, KeyFile string
	// Stdout receives the one "quarry: sharing …" line per start, for
	// people running Quarry from a terminal; nil means os.Stdout.
	Stdout io.Writer
	// Announce announces sharing on the local network by mDNS (see
	// SetAnnounce).
	Announce bool
}

// Status describes the sharing listener.
type Status struct {
	Running bool
	// Address is the bound address, with a requested port 0 resolved.
	Address     string
	URLs        []string
	Fingerprint string
	// Certificate is KindSelfSigned, KindProvided, or "" when stopped.
	Certificate string
	// QR is a data URL of a QR code of URLs[0], or "".
	QR string
	// Error is the last start or serve failure, as a person should read it.
	Error string
	// Announced is the name sharing is announced under on the local
	// network ("Quarry on HOST"), "" when it is not; AnnounceError says
	// why an announcement asked for is not made.
	Announced     string
	AnnounceError string
}

// Server owns the HTTPS listener. Its methods are safe for concurrent use.
type Server struct {
	handler  http.Handler
	log      *slog.Logger
	stdout   io.Writer
	certDir  string
	certFile string
	keyFile  string

	opMu sync.Mutex // serialises Start and Stop; held while they wait

	mu       sync.Mutex // guards the fields below; never held while waiting
	cur      *listener
	lastErr  string
	announce bool
}

// listener is one started http.Server and the goroutine serving it.
type listener struct {
	requested string
	srv       *http.Server
	addr      net.Addr
	status    Status
	ann       *announcement
	done      chan struct{} // closed when the serving goroutine returns
	exited    bool          // the server failed on its own; guarded by Server.mu
}

// New returns a stopped Server.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := opts.Stdout
	if out == nil {
		out = os.Stdout
	}
	return &Server{
		handler:  opts.Handler,
		log:      log.With("component", "lan"),
		stdout:   out,
		certDir:  opts.CertDir,
		certFile: opts.CertFile,
		keyFile:  opts.KeyFile,
		announce: opts.Announce,
	}
}

// Start listens on addr ("host:port"; an empty host or 0.0.0.0 means every
// network). It does nothing when already serving addr and moves to addr
// when serving another one. Its errors are user-facing (apperr).
func (s *Server) Start(addr string) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()

	s.mu.Lock()
	cur := s.cur
	same := cur != nil && cur.requested == addr && !cur.exited
	s.mu.Unlock()
	if same {
		return nil
	}
	if cur != nil {
		ctx, cancel := context.WithTimeout(context.Background(), restartStopTimeout)
		err := s.stop(ctx)
		cancel()
		if err != nil {
			s.log.Warn("stop previous sharing listener", "err", err)
		}
	}

	l, err := s.start(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = message(err)
		return err
	}
	s.cur = l
	s.lastErr = ""
	return nil
}

func (s *Server) start(addr string) (*listener, error) {
	if s.handler == nil {
		return nil, errors.New("start sharing: no handler")
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	var hosts []string
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		hosts = []string{host}
	}
	cert, kind, err := s.certificate(hosts)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(err, addr, host, port)
	}
	urls := URLs(ln.Addr())
	if len(urls) == 0 {
		urls = []string{"https://" + ln.Addr().String()}
	}
	qr, err := QR(urls[0])
	if err != nil {
		s.log.Warn("make sharing qr code", "err", err)
		qr = ""
	}

	// Cancelled when shutdown begins, so long-lived responses (the event
	// stream) end instead of holding Stop until its deadline.
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler: s.handler,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{cert.TLS},
		},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Browsers that have not yet accepted the self-signed certificate
		// abort handshakes; that is expected, not worth stderr.
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return base },
	}
	srv.RegisterOnShutdown(cancel)

	l := &listener{
		requested: addr,
		srv:       srv,
		addr:      ln.Addr(),
		done:      make(chan struct{}),
		status: Status{
			Running:     true,
			Address:     ln.Addr().String(),
			URLs:        urls,
			Fingerprint: cert.Fingerprint,
			Certificate: kind,
			QR:          qr,
		},
	}
	go func() {
		defer close(l.done)
		defer cancel()
		// ServeTLS with empty file names uses TLSConfig.Certificates and
		// also offers HTTP/2.
		err := srv.ServeTLS(ln, "", "")
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			return
		}
		s.log.Error("sharing stopped", "address", l.status.Address, "err", err)
		s.mu.Lock()
		if s.cur == l {
			l.exited = true
			s.lastErr = "Sharing stopped: " + err.Error()
		}
		s.mu.Unlock()
	}()

	s.mu.Lock()
	on := s.announce
	s.mu.Unlock()
	if on {
		s.startAnnouncing(l)
	}
	s.log.Info("sharing", "url", urls[0], "address", l.status.Address,
		"certificate", kind, "fingerprint", cert.Fingerprint, "announced", l.status.Announced)
	fmt.Fprintf(s.stdout, "quarry: sharing %s (certificate sha256 %s)\n", urls[0], cert.Fingerprint)
	return l, nil
}

func (s *Server) certificate(hosts []string) (Certificate, string, error) {
	switch {
	case s.certFile != "" && s.keyFile != "":
		c, err := LoadProvided(s.certFile, s.keyFile)
		return c, KindProvided, err
	case s.certFile != "" || s.keyFile != "":
		return Certificate{}, "", apperr.New(apperr.InvalidArgument,
			"Give both a certificate file and its key file for sharing, or neither to use Quarry's own certificate.")
	case s.certDir == "":
		return Certificate{}, "", errors.New("load sharing certificate: no certificate directory")
	}
	c, err := LoadOrCreate(s.certDir, hosts)
	if err != nil {
		return Certificate{}, "", fmt.Errorf("load sharing certificate: %w", err)
	}
	if c.Replaced != "" {
		s.log.Warn("sharing certificate replaced", "reason", c.Replaced, "fingerprint", c.Fingerprint)
	}
	return c, KindSelfSigned, nil
}

// Stop shuts the listener down, letting requests in flight finish until
// ctx ends and closing what remains then. It waits for the serving
// goroutine either way.
func (s *Server) Stop(ctx context.Context) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	return s.stop(ctx)
}

func (s *Server) stop(ctx context.Context) error {
	s.mu.Lock()
	l := s.cur
	s.cur = nil
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	l.ann.stop()
	err := l.srv.Shutdown(ctx)
	if err != nil {
		l.srv.Close()
	}
	<-l.done
	s.log.Info("sharing stopped", "address", l.status.Address)
	if err != nil {
		return fmt.Errorf("stop sharing: %w", err)
	}
	return nil
}

// SetAnnounce turns the mDNS announcement of sharing on or off, now if
// sharing runs and for every later start. A listener on a loopback
// address is never announced. A failure to announce (no multicast on
// this network) is reported in Status and leaves sharing as it is.
func (s *Server) SetAnnounce(on bool) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	s.announce = on
	l := s.cur
	s.mu.Unlock()
	if l == nil {
		return
	}
	if on {
		s.startAnnouncing(l)
		return
	}
	s.mu.Lock()
	a := l.ann
	l.ann, l.status.Announced, l.status.AnnounceError = nil, "", ""
	s.mu.Unlock()
	a.stop()
}

// startAnnouncing announces l unless it is announced already.
func (s *Server) startAnnouncing(l *listener) {
	s.mu.Lock()
	done := l.ann != nil
	s.mu.Unlock()
	if done {
		return
	}
	a, err := announce(l.addr, l.status.Fingerprint, slog.NewLogLogger(s.log.Handler(), slog.LevelDebug))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		s.log.Warn("sharing is not announced on the local network", "err", err)
		l.status.AnnounceError = "Sharing could not be announced on the local network (" + err.Error() + "); colleagues can still open its address."
	case a != nil:
		l.ann, l.status.Announced, l.status.AnnounceError = a, a.name, ""
	}
}

// Status reports what is being served.
func (s *Server) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.exited {
		return Status{Error: s.lastErr}
	}
	st := s.cur.status
	st.URLs = append([]string(nil), st.URLs...)
	st.Error = s.lastErr
	return st
}

// Addr is the bound address, or nil when stopped.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.exited {
		return nil
	}
	return s.cur.addr
}

func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return "", "", addressError(err, "%q is not an address for sharing: give host:port, e.g. 0.0.0.0:8788.", addr)
	}
	return host, port, nil
}

// listenError says in a person's terms why addr could not be listened on.
func listenError(err error, addr, host, port string) error {
	var dns *net.DNSError
	switch {
	case addrInUse(err):
		e := addressError(err, "Port %s is already in use on this machine: choose another address for sharing.", port)
		e.Code = apperr.Conflict
		return e
	case portDenied(err):
		return addressError(err, "Port %s needs administrator rights on this machine: choose a port above 1023 for sharing.", port)
	case addrNotAvail(err):
		return addressError(err, "%s is not an address of this machine: use 0.0.0.0:%s to share on all its networks.", host, port)
	case errors.As(err, &dns):
		return addressError(err, "%s is not a known host name: give an IP address of this machine, or 0.0.0.0:%s for all its networks.", host, port)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}

func addressError(err error, format string, args ...any) *apperr.Error {
	e := apperr.Wrap(err, apperr.InvalidArgument, format, args...)
	e.Field = "address"
	return e
}

// message is err as Status.Error shows it: the human message of a
// user-facing error, else the error text.
func message(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
