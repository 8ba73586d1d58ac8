package lan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
)

func TestFingerprint(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	want := "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
	if got := Fingerprint([]byte("abc")); got != want {
		t.Errorf("Fingerprint(abc) = %s, want %s", got, want)
	}
}

func TestLoadOrCreateCreatesThenReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	first, err := LoadOrCreate(dir, []string{"quarry.example.org", "192.0.2.7"})
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	if !first.SelfSigned || first.Replaced != "" {
		t.Errorf("first: SelfSigned=%v Replaced=%q, want true and empty", first.SelfSigned, first.Replaced)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, KeyFileName), 0o600)
	}

	leaf := first.TLS.Leaf
	if got := Fingerprint(leaf.Raw); got != first.Fingerprint {
		t.Errorf("Fingerprint = %s, want %s", first.Fingerprint, got)
	}
	if got := fingerprintOfFile(t, filepath.Join(dir, CertFileName)); got != first.Fingerprint {
		t.Errorf("fingerprint of %s = %s, want %s", CertFileName, got, first.Fingerprint)
	}
	if wantAfter := time.Now().Add(certValidity); leaf.NotAfter.Before(wantAfter.Add(-time.Hour)) || leaf.NotAfter.After(wantAfter.Add(time.Hour)) {
		t.Errorf("NotAfter = %v, want about %v", leaf.NotAfter, wantAfter)
	}
	if !first.NotAfter.Equal(leaf.NotAfter) {
		t.Errorf("Certificate.NotAfter = %v, want leaf's %v", first.NotAfter, leaf.NotAfter)
	}
	host, _ := os.Hostname()
	if want := "Quarry on " + host; leaf.Subject.CommonName != want {
		t.Errorf("CN = %q, want %q", leaf.Subject.CommonName, want)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key = %T, want ECDSA P-256", leaf.PublicKey)
	}
	if leaf.IsCA {
		t.Error("leaf is a CA; browsers reject CA certificates as server certificates")
	}
	if leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %v: want positive, at most 128 bits", leaf.SerialNumber)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "quarry.example.org", "192.0.2.7", host} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	for _, ip := range localIPs() {
		if err := leaf.VerifyHostname(ip.String()); err != nil {
			t.Errorf("certificate does not cover interface address %s: %v", ip, err)
		}
	}

	again, err := LoadOrCreate(dir, []string{"quarry.example.org"})
	if err != nil {
		t.Fatalf("LoadOrCreate again: %v", err)
	}
	if again.Fingerprint != first.Fingerprint || again.Replaced != "" || !again.SelfSigned {
		t.Errorf("again: fingerprint %s, Replaced %q, SelfSigned %v; want %s reused",
			again.Fingerprint, again.Replaced, again.SelfSigned, first.Fingerprint)
	}
}

func TestLoadOrCreateReplacesUnusable(t *testing.T) {
	now := time.Now()
	soon := func(d time.Duration) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			certPEM, keyPEM, err := newSelfSigned([]string{"localhost"}, now.Add(-time.Hour), now.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, CertFileName), certPEM)
			writeFile(t, filepath.Join(dir, KeyFileName), keyPEM)
		}
	}
	tests := []struct {
		name       string
		hosts      []string
		spoil      func(t *testing.T, dir string)
		wantReason string
	}{
		{"corrupt certificate", nil, func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, CertFileName), []byte("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"))
		}, "unusable"},
		{"truncated certificate", nil, func(t *testing.T, dir string) {
			b, err := os.ReadFile(filepath.Join(dir, CertFileName))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, CertFileName), b[:len(b)/2])
		}, "unusable"},
		{"empty key", nil, func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, KeyFileName), nil)
		}, "unusable"},
		{"key of another certificate", nil, func(t *testing.T, dir string) {
			_, keyPEM, err := newSelfSigned([]string{"localhost"}, now, now.Add(time.Hour*24*365))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, KeyFileName), keyPEM)
		}, "unusable"},
		{"missing key", nil, func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, KeyFileName)); err != nil {
				t.Fatal(err)
			}
		}, KeyFileName + " was missing"},
		{"missing certificate", nil, func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, CertFileName)); err != nil {
				t.Fatal(err)
			}
		}, CertFileName + " was missing"},
		{"expires within 30 days", nil, soon(10 * 24 * time.Hour), "expires"},
		{"expired", nil, soon(-time.Hour), "expires"},
		{"new host not covered", []string{"new-name.example.org"}, func(*testing.T, string) {}, "does not cover new-name.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			orig, err := LoadOrCreate(dir, nil)
			if err != nil {
				t.Fatalf("LoadOrCreate: %v", err)
			}
			tt.spoil(t, dir)

			got, err := LoadOrCreate(dir, tt.hosts)
			if err != nil {
				t.Fatalf("LoadOrCreate after spoiling: %v", err)
			}
			if got.Fingerprint == orig.Fingerprint {
				t.Error("certificate was reused, want a new one")
			}
			if !strings.Contains(got.Replaced, tt.wantReason) {
				t.Errorf("Replaced = %q, want it to contain %q", got.Replaced, tt.wantReason)
			}
			if time.Until(got.NotAfter) < certValidity-24*time.Hour {
				t.Errorf("new NotAfter = %v, want about 5 years ahead", got.NotAfter)
			}
			for _, h := range tt.hosts {
				if err := got.TLS.Leaf.VerifyHostname(h); err != nil {
					t.Errorf("new certificate does not cover %s: %v", h, err)
				}
			}

			next, err := LoadOrCreate(dir, tt.hosts)
			if err != nil {
				t.Fatalf("LoadOrCreate third time: %v", err)
			}
			if next.Fingerprint != got.Fingerprint || next.Replaced != "" {
				t.Errorf("third call: fingerprint %s Replaced %q, want %s reused", next.Fingerprint, next.Replaced, got.Fingerprint)
			}
		})
	}
}

func TestLoadOrCreateUnreadableIsAnError(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs file permissions that bind the test user")
	}
	dir := t.TempDir()
	orig, err := LoadOrCreate(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, KeyFileName)
	if err := os.Chmod(keyPath, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(keyPath, 0o600) })
	if _, err := LoadOrCreate(dir, nil); err == nil {
		t.Error("LoadOrCreate with an unreadable key succeeded, want an error rather than a silently new identity")
	}
	os.Chmod(keyPath, 0o600)
	again, err := LoadOrCreate(dir, nil)
	if err != nil || again.Fingerprint != orig.Fingerprint {
		t.Errorf("after fixing permissions: %v, fingerprint %s, want %s", err, again.Fingerprint, orig.Fingerprint)
	}
}

func TestLoadProvided(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, "ca", time.Now().Add(90*24*time.Hour))

	got, err := LoadProvided(certFile, keyFile)
	if err != nil {
		t.Fatalf("LoadProvided: %v", err)
	}
	if got.SelfSigned {
		t.Error("SelfSigned = true for a provided certificate")
	}
	if want := fingerprintOfFile(t, certFile); got.Fingerprint != want {
		t.Errorf("Fingerprint = %s, want %s", got.Fingerprint, want)
	}
	if got.Replaced != "" {
		t.Errorf("Replaced = %q, want empty", got.Replaced)
	}

	// A full chain: the leaf comes first and is what the fingerprint covers.
	otherCert, _ := writePair(t, dir, "intermediate", time.Now().Add(time.Hour*24*365))
	chainFile := filepath.Join(dir, "chain.pem")
	writeFile(t, chainFile, append(readFile(t, certFile), readFile(t, otherCert)...))
	chain, err := LoadProvided(chainFile, keyFile)
	if err != nil {
		t.Fatalf("LoadProvided(chain): %v", err)
	}
	if chain.Fingerprint != got.Fingerprint || len(chain.TLS.Certificate) != 2 {
		t.Errorf("chain: fingerprint %s with %d certificates, want %s with 2", chain.Fingerprint, len(chain.TLS.Certificate), got.Fingerprint)
	}
}

func TestLoadProvidedBadInput(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, "good", time.Now().Add(90*24*time.Hour))
	_, otherKey := writePair(t, dir, "other", time.Now().Add(90*24*time.Hour))
	expiredCert, expiredKey := writePair(t, dir, "expired", time.Now().Add(-time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	writeFile(t, garbage, []byte("this is not PEM at all\n\x00\xff"))
	empty := filepath.Join(dir, "empty.pem")
	writeFile(t, empty, nil)
	encrypted := filepath.Join(dir, "encrypted.pem")
	writeFile(t, encrypted, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name      string
		cert, key string
		want      string
	}{
		{"garbage certificate", garbage, keyFile, garbage + " is not a PEM certificate: give the certificate file from your CA"},
		{"empty certificate", empty, keyFile, empty + " is not a PEM certificate: give the certificate file from your CA"},
		{"key given as certificate", keyFile, certFile, keyFile + " is not a PEM certificate"},
		{"garbage key", certFile, garbage, garbage + " is not a PEM private key: give the key file"},
		{"encrypted key", certFile, encrypted, encrypted + " is encrypted: give the key without a passphrase"},
		{"key of another certificate", certFile, otherKey, "do not form a usable pair: give the certificate and the private key that belongs to it"},
		{"expired", expiredCert, expiredKey, "expired on"},
		{"missing certificate", missing, keyFile, "Cannot read the certificate file " + missing},
		{"missing key", certFile, missing, "Cannot read the key file " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadProvided(tt.cert, tt.key)
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("LoadProvided = %v, want an *apperr.Error", err)
			}
			if e.Code != apperr.InvalidArgument {
				t.Errorf("code = %s, want %s", e.Code, apperr.InvalidArgument)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.want)
			}
		})
	}
}

// writePair writes a certificate and key named after name into dir, as an
// owner's CA would hand them over.
func writePair(t testing.TB, dir, name string, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := newSelfSigned([]string{"localhost", "127.0.0.1"}, notAfter.Add(-365*24*time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, name+"-cert.pem")
	keyFile = filepath.Join(dir, name+"-key.pem")
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)
	return certFile, keyFile
}

// fingerprintOfFile computes the fingerprint independently of Fingerprint.
func fingerprintOfFile(t testing.TB, path string) string {
	t.Helper()
	b, _ := pem.Decode(readFile(t, path))
	if b == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	if _, err := x509.ParseCertificate(b.Bytes); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sum := sha256.Sum256(b.Bytes)
	var parts []string
	for _, c := range sum {
		parts = append(parts, fmt.Sprintf("%02X", c))
	}
	return strings.Join(parts, ":")
}

func assertMode(t testing.TB, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o, want %#o", filepath.Base(path), got, want)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
