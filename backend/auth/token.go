package auth

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quarry-search/quarry/backend/atomicfile"
)

// AccessTTL is how long an access token lives; a refresh renews it.
const AccessTTL = 15 * time.Minute

// RefreshTTL is how long a sign-in lasts without use.
const RefreshTTL = 30 * 24 * time.Hour

// ErrInvalidToken is an access token that is malformed, forged or expired.
var ErrInvalidToken = errors.New("invalid access token")

// Claims are what an access token says.
type Claims struct {
	UserID   int64
	Username string
	Expires  time.Time
	// IssuedAt is to the second.
	IssuedAt time.Time
	// Generation is the account's session generation at issue.
	Generation int64
	// Family is the sign-in the token belongs to.
	Family string
}

// Signer issues and checks access tokens (HS256 JWTs) with one key.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner signs with key (at least 32 bytes).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("new signer: key of %d bytes is too short", len(key))
	}
	return &Signer{key: key, now: time.Now}, nil
}

// LoadOrCreateKey reads the signing key at path, making a random one
// (mode 0600) the first time.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	s, err := Secret(48)
	if err != nil {
		return nil, err
	}
	key := []byte(s)
	if err := atomicfile.Write(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	return key, nil
}

// Issue returns a signed access token for user, valid for AccessTTL.
// generation is the account's session generation: a token whose
// generation is no longer the account's (a new password, a disabled
// account) is refused by whoever checks it against the account.
// family names the sign-in (the refresh-token family) the token belongs
// to, so signing out ends it as well.
func (s *Signer) Issue(userID int64, username string, generation int64, family string) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(AccessTTL)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":  strconv.FormatInt(userID, 10),
		"name": username,
		"iat":  now.Unix(),
		"exp":  exp.Unix(),
		"iss":  "quarry",
		"gen":  strconv.FormatInt(generation, 10),
		"fam":  family,
	})
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// Parse checks an access token's signature, algorithm and expiry.
func (s *Signer) Parse(token string) (Claims, error) {
	var mc jwt.MapClaims
	_, err := jwt.ParseWithClaims(token, &mc, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer("quarry"),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	sub, _ := mc["sub"].(string)
	id, err := strconv.ParseInt(sub, 10, 64)
	if err != nil || id <= 0 {
		return Claims{}, fmt.Errorf("%w: bad subject", ErrInvalidToken)
	}
	name, _ := mc["name"].(string)
	exp, _ := mc.GetExpirationTime()
	c := Claims{UserID: id, Username: name}
	if exp != nil {
		c.Expires = exp.Time
	}
	if iat, _ := mc.GetIssuedAt(); iat != nil {
		c.IssuedAt = iat.Time
	}
	c.Family, _ = mc["fam"].(string)
	if g, ok := mc["gen"].(string); ok {
		c.Generation, _ = strconv.ParseInt(g, 10, 64)
	}
	return c, nil
}
