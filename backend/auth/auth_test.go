package auth

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	if err := VerifyPassword(h, "correct horse battery"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := VerifyPassword(h, "correct horse batterY"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v, want ErrMismatch", err)
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=0,t=1,p=1$AA$AA", "$argon2id$v=19$m=8,t=1,p=1$!!$AA"} {
		if err := VerifyPassword(bad, "x"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("VerifyPassword(%q) = %v, want a malformed-hash error", bad, err)
		}
	}
}

func TestSecretsAndKeys(t *testing.T) {
	a, _ := Secret(32)
	b, _ := Secret(32)
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q %q", a, b)
	}
	key, prefix, err := NewAPIKey()
	if err != nil || !IsAPIKey(key) || !strings.HasPrefix(key, prefix) || len(prefix) != 11 {
		t.Fatalf("key %q prefix %q err %v", key, prefix, err)
	}
	if IsAPIKey("eyJhbGciOi") {
		t.Fatal("a JWT taken for an API key")
	}
	if Digest(key) == Digest(key+"x") || len(Digest(key)) != 64 {
		t.Fatal("digest")
	}
}

func TestAccessTokens(t *testing.T) {
	key, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "auth", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := s.Issue(7, "ada", 42, "fam-1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Parse(tok)
	if err != nil || c.UserID != 7 || c.Username != "ada" || c.Generation != 42 || c.Family != "fam-1" || !c.Expires.Equal(exp.Truncate(time.Second)) {
		t.Fatalf("parse: %+v %v", c, err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("k", 32)))
	if _, err := other.Parse(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("another key's token: %v", err)
	}
	// An unsigned token ("alg": "none") and a tampered one are refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "1", "iss": "quarry", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, bad := range map[string]string{"none": none, "tampered": tampered, "empty": "", "garbage": "a.b.c"} {
		if _, err := s.Parse(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s token: %v", name, err)
		}
	}
	s.now = func() time.Time { return time.Now().Add(AccessTTL + time.Minute) }
	if _, err := s.Parse(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestSigningKeyKept(t *testing.T) {
	p := filepath.Join(t.TempDir(), "signing.key")
	a, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateKey(p)
	if err != nil || string(a) != string(b) {
		t.Fatalf("key not kept: %v", err)
	}
}

func TestLockoutGrows(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLockout()
	l.now = func() time.Time { return now }
	for i := range 5 {
		if d := l.Fail("ada"); d != 0 {
			t.Fatalf("failure %d locked for %v; the first five are free", i+1, d)
		}
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i, w := range want {
		if d := l.Fail("ada"); d != w {
			t.Fatalf("failure %d: lock %v, want %v", 6+i, d, w)
		}
	}
	if l.Wait("ada") != 16*time.Second || l.Wait("bob") != 0 {
		t.Fatal("wait")
	}
	now = now.Add(17 * time.Second)
	if l.Wait("ada") != 0 {
		t.Fatal("lock did not end")
	}
	for range 40 {
		l.Fail("ada")
	}
	if d := l.Wait("ada"); d != l.Max {
		t.Fatalf("lock %v, want the cap %v", d, l.Max)
	}
	l.Succeed("ada")
	if l.Wait("ada") != 0 || l.Fail("ada") != 0 {
		t.Fatal("success did not clear the count")
	}
}

func TestBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBucket(2, 3)
	b.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := b.Allow("k"); !ok {
			t.Fatalf("request %d refused inside the burst", i+1)
		}
	}
	ok, wait := b.Allow("k")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: ok %v wait %v", ok, wait)
	}
	if ok, _ := b.Allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(time.Second)
	for i := range 2 {
		if ok, _ := b.Allow("k"); !ok {
			t.Fatalf("refill %d refused", i)
		}
	}
}
