// Package auth holds the pieces of signing in to a shared Quarry:
// password hashing (argon2id), signed access tokens, opaque refresh and
// API-key secrets, and the limits that slow guessing down. It knows
// nothing of users or storage; the service layer joins them up.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP recommendation of 19 MiB, two passes,
// one lane, which costs a few tens of milliseconds per sign-in.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// ErrMismatch is a password that does not match its hash.
var ErrMismatch = errors.New("password does not match")

// HashPassword returns the PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks password against a hash HashPassword made (with
// whatever parameters it was made with), in constant time.
func VerifyPassword(hash, password string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return fmt.Errorf("verify password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return fmt.Errorf("verify password: unsupported argon2 version %q", parts[2])
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || t == 0 || p == 0 {
		return fmt.Errorf("verify password: bad argon2 parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("verify password: bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return fmt.Errorf("verify password: bad key")
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// dummyHash is verified against when a user name is unknown, so that a
// wrong name takes as long as a wrong password and names cannot be probed.
var dummyHash = func() string {
	h, err := HashPassword("quarry-no-such-user")
	if err != nil {
		panic(err)
	}
	return h
}()

// BurnPasswordCheck spends the time a password check takes.
func BurnPasswordCheck(password string) { _ = VerifyPassword(dummyHash, password) }

// Secret returns a random URL-safe token of n bytes of entropy.
func Secret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Digest is how refresh tokens and API keys are stored: they carry 256
// bits of entropy, so a plain SHA-256 cannot be reversed, and lookups by
// it stay indexed.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// APIKeyPrefix begins every API key, so a key is recognised as one (and
// by secret scanners) at a glance.
const APIKeyPrefix = "qk_"

// NewAPIKey returns a new API key and its display prefix (the first
// characters, safe to show in lists).
func NewAPIKey() (key, prefix string, err error) {
	s, err := Secret(32)
	if err != nil {
		return "", "", err
	}
	key = APIKeyPrefix + s
	return key, key[:len(APIKeyPrefix)+8], nil
}

// IsAPIKey reports whether a bearer credential is an API key rather than
// an access token.
func IsAPIKey(s string) bool { return strings.HasPrefix(s, APIKeyPrefix) }
