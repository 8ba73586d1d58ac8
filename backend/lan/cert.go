// Package lan serves Quarry to colleagues on the local network over HTTPS.
//
// It owns the listener (start, restart on a new address, graceful stop), the
// TLS certificate (a self-signed one kept on disk, or one the owner provides),
// the URLs colleagues can type and a QR code of the first one. What is served
// is the caller's http.Handler; authentication lives there, not here.
package lan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/atomicfile"
)

// File names of the self-signed pair inside the certificate directory.
const (
	CertFileName = "lan-cert.pem"
	KeyFileName  = "lan-key.pem"
)

const (
	// certValidity is long because every renewal changes the fingerprint
	// colleagues were told to trust.
	certValidity = 5 * 365 * 24 * time.Hour
	// renewBefore replaces a certificate this close to expiry, so it never
	// lapses while Quarry runs for weeks.
	renewBefore = 30 * 24 * time.Hour
)

// Certificate is the TLS identity of the sharing listener.
type Certificate struct {
	TLS tls.Certificate
	// Fingerprint is the SHA-256 of the leaf certificate's DER, as
	// upper-case hex pairs joined by ":" (what browsers show).
	Fingerprint string
	// SelfSigned is true for the certificate Quarry made itself, false for
	// one the owner provided.
	SelfSigned bool
	NotAfter   time.Time
	// Replaced says why an existing self-signed certificate on disk could
	// not be reused and a new one was made (corrupt, expiring, missing
	// half of the pair, not covering a requested host). It is empty when
	// the stored one was reused or none existed yet. Callers log it: the
	// fingerprint colleagues trusted has changed.
	Replaced string
}

// LoadOrCreate returns the self-signed certificate kept in dir, creating it
// on first use and replacing it when it is unreadable or about to expire.
// hosts are extra names or IP addresses it must cover; localhost, the
// loopback addresses, the host name and the machine's addresses are always
// included in a new certificate.
func LoadOrCreate(dir string, hosts []string) (Certificate, error) {
	return loadOrCreate(dir, hosts, time.Now())
}

func loadOrCreate(dir string, hosts []string, now time.Time) (Certificate, error) {
	certPath := filepath.Join(dir, CertFileName)
	keyPath := filepath.Join(dir, KeyFileName)

	stored, reason, err := reusable(certPath, keyPath, hosts, now)
	if err != nil {
		return Certificate{}, err
	}
	if reason == "" {
		return stored, nil
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Certificate{}, fmt.Errorf("create certificate directory: %w", err)
	}
	certPEM, keyPEM, err := newSelfSigned(certHosts(hosts), now, now.Add(certValidity))
	if err != nil {
		return Certificate{}, err
	}
	// The key goes first: a crash in between leaves a key without a
	// certificate, which the next start replaces, never a certificate whose
	// key is lost.
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return Certificate{}, fmt.Errorf("write certificate key: %w", err)
	}
	if err := atomicfile.Write(certPath, certPEM, 0o644); err != nil {
		return Certificate{}, fmt.Errorf("write certificate: %w", err)
	}
	c, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return Certificate{}, fmt.Errorf("load new certificate: %w", err)
	}
	c.SelfSigned = true
	if reason != "none" {
		c.Replaced = reason
	}
	return c, nil
}

// reusable returns the stored pair when it can be reused, else why not
// ("none" when there is none). It fails only when the files exist but cannot
// be read (a permission problem the owner must fix, not something to paper
// over by generating a new identity).
func reusable(certPath, keyPath string, hosts []string, now time.Time) (Certificate, string, error) {
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	certMissing := errors.Is(certErr, fs.ErrNotExist)
	keyMissing := errors.Is(keyErr, fs.ErrNotExist)
	switch {
	case certMissing && keyMissing:
		return Certificate{}, "none", nil
	case certMissing:
		return Certificate{}, CertFileName + " was missing", nil
	case keyMissing:
		return Certificate{}, KeyFileName + " was missing", nil
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return Certificate{}, "", fmt.Errorf("read stored certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return Certificate{}, "", fmt.Errorf("read stored certificate key: %w", err)
	}
	c, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return Certificate{}, fmt.Sprintf("stored certificate was unusable (%v)", err), nil
	}
	if now.Add(renewBefore).After(c.NotAfter) {
		return Certificate{}, "stored certificate expires " + c.NotAfter.UTC().Format(time.DateOnly), nil
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if err := c.TLS.Leaf.VerifyHostname(h); err != nil {
			return Certificate{}, "stored certificate does not cover " + h, nil
		}
	}
	c.SelfSigned = true
	return c, "", nil
}

// LoadProvided loads a certificate and key the owner got from their own
// CA. Its errors tell a person which file is wrong and what to give instead.
func LoadProvided(certFile, keyFile string) (Certificate, error) {
	return loadProvided(certFile, keyFile, time.Now())
}

func loadProvided(certFile, keyFile string, now time.Time) (Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return Certificate{}, apperr.Wrap(err, apperr.InvalidArgument,
			"Cannot read the certificate file %s: check the path and that Quarry may read it.", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return Certificate{}, apperr.Wrap(err, apperr.InvalidArgument,
			"Cannot read the key file %s: check the path and that Quarry may read it.", keyFile)
	}
	if !hasBlock(certPEM, func(t string) bool { return t == "CERTIFICATE" }) {
		return Certificate{}, apperr.New(apperr.InvalidArgument,
			"%s is not a PEM certificate: give the certificate file from your CA (it starts with -----BEGIN CERTIFICATE-----).", certFile)
	}
	if !hasBlock(keyPEM, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }) {
		return Certificate{}, apperr.New(apperr.InvalidArgument,
			"%s is not a PEM private key: give the key file made with the certificate request (it starts with -----BEGIN PRIVATE KEY-----).", keyFile)
	}
	if hasBlock(keyPEM, func(t string) bool { return t == "ENCRYPTED PRIVATE KEY" }) {
		return Certificate{}, apperr.New(apperr.InvalidArgument,
			"%s is encrypted: give the key without a passphrase (for example: openssl pkey -in %s -out quarry-key.pem).", keyFile, keyFile)
	}
	c, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return Certificate{}, apperr.Wrap(err, apperr.InvalidArgument,
			"%s and %s do not form a usable pair: give the certificate and the private key that belongs to it.", certFile, keyFile)
	}
	if now.After(c.NotAfter) {
		return Certificate{}, apperr.New(apperr.InvalidArgument,
			"The certificate %s expired on %s: renew it with your CA.", certFile, c.NotAfter.UTC().Format(time.DateOnly))
	}
	return c, nil
}

func hasBlock(data []byte, match func(typ string) bool) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if match(b.Type) {
			return true
		}
	}
}

func parsePair(certPEM, keyPEM []byte) (Certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return Certificate{}, fmt.Errorf("parse key pair: %w", err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return Certificate{}, fmt.Errorf("parse certificate: %w", err)
		}
		pair.Leaf = leaf
	}
	return Certificate{TLS: pair, Fingerprint: Fingerprint(leaf.Raw), NotAfter: leaf.NotAfter}, nil
}

// Fingerprint formats the SHA-256 of a certificate's DER as upper-case hex
// pairs joined by ":".
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// certHosts is every name and address a new certificate covers: the
// requested ones, then loopback, the host name and the machine's addresses.
func certHosts(hosts []string) []string {
	out := append([]string(nil), hosts...)
	out = append(out, "localhost", "127.0.0.1", "::1")
	if h, err := os.Hostname(); err == nil && h != "" {
		out = append(out, h)
	}
	for _, ip := range localIPs() {
		out = append(out, ip.String())
	}
	return out
}

// newSelfSigned makes an ECDSA P-256 certificate for hosts, valid from
// notBefore (backdated an hour for skewed clocks) to notAfter.
func newSelfSigned(hosts []string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "this computer"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Quarry on " + name, Organization: []string{"Quarry"}},
		NotBefore:             notBefore.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	seenDNS := map[string]bool{}
	var seenIP []net.IP
	for _, h := range hosts {
		h = strings.Trim(strings.TrimSpace(h), "[]")
		if h == "" {
			continue
		}
		if i := strings.IndexByte(h, '%'); i >= 0 { // IPv6 zone
			h = h[:i]
		}
		if ip := net.ParseIP(h); ip != nil {
			if !containsIP(seenIP, ip) {
				seenIP = append(seenIP, ip)
			}
			continue
		}
		h = strings.ToLower(h)
		if !seenDNS[h] {
			seenDNS[h] = true
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	tmpl.IPAddresses = seenIP
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode certificate key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}
