package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Refresh tokens and API keys are stored as SHA-256 hex digests only: the
// caller hashes what it hands out, so the database never holds a usable
// secret.

// CreateRefreshToken stores the first token of a new family (a sign-in)
// and returns the family.
func (s *Store) CreateRefreshToken(ctx context.Context, userID int64, hash string, expires time.Time) (string, error) {
	var family string
	err := s.pool.QueryRow(ctx, `INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
		VALUES ($1, $2, $3) RETURNING family::text`, userID, hash, expires).Scan(&family)
	if isForeignKeyViolation(err) {
		err = ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("create refresh token for user %d: %w", userID, err)
	}
	return family, nil
}

// RotateRefreshToken spends the token oldHash and issues newHash in its
// family. A token that was already spent or revoked means someone else
// holds a copy: the whole family is revoked (and stays so) and the result
// is ErrTokenReused. An unknown or expired token, or one of a missing or
// inactive user, is ErrNotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash, newHash string, expires time.Time) (int64, error) {
	var (
		userID int64
		reused bool
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var (
			id                    int64
			family                string
			expired, spent, alive bool
		)
		err := tx.QueryRow(ctx, `
			SELECT r.id, r.user_id, r.family::text, r.expires_at <= now(),
				r.rotated_at IS NOT NULL OR r.revoked_at IS NOT NULL,
				coalesce((SELECT u.is_active FROM users u WHERE u.id = r.user_id), false)
			FROM refresh_tokens r WHERE r.token_hash = $1 FOR UPDATE`, oldHash).
			Scan(&id, &userID, &family, &expired, &spent, &alive)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if expired || !alive {
			return ErrNotFound
		}
		if spent {
			reused = true
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now()
				WHERE family = $1 AND revoked_at IS NULL`, family); err != nil {
				return err
			}
			return audit(ctx, tx, "", userID, "auth.refresh_reuse", map[string]any{"family": family})
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (user_id, token_hash, expires_at, family)
			VALUES ($1, $2, $3, $4)`, userID, newHash, expires, family)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rotate refresh token: %w", err)
	}
	// The revocation is committed: the error only tells the caller.
	if reused {
		return 0, fmt.Errorf("rotate refresh token of user %d: %w", userID, ErrTokenReused)
	}
	return userID, nil
}

// RevokeRefreshFamily signs out the session the token hash belongs to,
// revoking every token of its family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, hash string) (int64, error) {
	var userID int64
	err := s.pool.QueryRow(ctx, `
		WITH f AS (SELECT family, user_id FROM refresh_tokens WHERE token_hash = $1),
		revoked AS (UPDATE refresh_tokens SET revoked_at = now()
			WHERE family IN (SELECT family FROM f) AND revoked_at IS NULL)
		SELECT user_id FROM f`, hash).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return userID, nil
}

// RevokeUserSessions revokes every refresh token of the user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error { return revokeUserTokens(ctx, tx, userID) })
	if err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return nil
}

func revokeUserTokens(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
		return err
	}
	// Access tokens issued until now stop working too.
	_, err := tx.Exec(ctx, `UPDATE users SET sessions_after = now() WHERE id = $1`, userID)
	return err
}

// APIKey is a row of api_keys with the collections it reaches. A key acts
// for its user, narrowed to its collections and permission.
type APIKey struct {
	ID         string
	UserID     int64
	Username   string
	Name       string
	Prefix     string
	Permission string
	// CollectionIDs are the collections the key reaches, sorted.
	CollectionIDs []string
	IsActive      bool
	CreatedAt     time.Time
	LastUsedAt    *time.Time
	ExpiresAt     *time.Time
}

// NewAPIKey is what CreateAPIKey needs: Hash is the secret's SHA-256 hex
// digest, Prefix the part of it shown to tell keys apart.
type NewAPIKey struct {
	UserID        int64
	Name          string
	Prefix        string
	Hash          string
	Permission    string
	CollectionIDs []string
	ExpiresAt     *time.Time
}

// apiKeyColumns need api_keys k joined with users u.
const apiKeyColumns = `k.id::text, k.user_id, u.username, k.name, k.key_prefix,
	coalesce(k.permissions->>'permission', ''),
	array(SELECT p.collection_id::text FROM collection_permissions p JOIN collections c ON c.id = p.collection_id
		WHERE p.api_key_id = k.id AND c.deleted_at IS NULL ORDER BY 1),
	k.is_active, k.created_at, k.last_used_at, k.expires_at`

func scanAPIKey(row pgx.Row, extra ...any) (APIKey, error) {
	var k APIKey
	err := row.Scan(append([]any{&k.ID, &k.UserID, &k.Username, &k.Name, &k.Prefix, &k.Permission,
		&k.CollectionIDs, &k.IsActive, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt}, extra...)...)
	return k, err
}

// validLevel reports whether p is a permission_level.
func validLevel(p string) bool { return p == "read" || p == "write" || p == "admin" }

// CreateAPIKey stores a key with one grant per collection it names. A
// collection that does not exist (or is being deleted) is ErrNotFound and
// nothing is written.
func (s *Store) CreateAPIKey(ctx context.Context, nk NewAPIKey, actor int64) (APIKey, error) {
	if !validLevel(nk.Permission) {
		return APIKey{}, fmt.Errorf("create api key %q: permission %q is not read, write or admin", nk.Name, nk.Permission)
	}
	ids := append([]string{}, nk.CollectionIDs...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if uuid.Validate(id) != nil {
			return APIKey{}, fmt.Errorf("create api key %q: collection %q: %w", nk.Name, id, ErrNotFound)
		}
	}
	var out APIKey
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var found int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM collections WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`,
			ids).Scan(&found); err != nil {
			return err
		}
		if found != len(ids) {
			return fmt.Errorf("collection: %w", ErrNotFound)
		}
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO api_keys (user_id, name, key_prefix, key_hash, permissions, expires_at)
			VALUES ($1, $2, $3, $4, jsonb_build_object('permission', $5::text), $6) RETURNING id::text`,
			nk.UserID, nk.Name, nk.Prefix, nk.Hash, nk.Permission, nk.ExpiresAt).Scan(&id)
		if isForeignKeyViolation(err) {
			return fmt.Errorf("user %d: %w", nk.UserID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO collection_permissions (collection_id, api_key_id, permission)
			SELECT c, $2, $3::permission_level FROM unnest($1::uuid[]) AS c`, ids, id, nk.Permission); err != nil {
			return err
		}
		if err := audit(ctx, tx, "", actor, "api_key.create", map[string]any{
			"name": nk.Name, "prefix": nk.Prefix, "permission": nk.Permission, "collections": ids,
		}); err != nil {
			return err
		}
		out, err = scanAPIKey(tx.QueryRow(ctx, `SELECT `+apiKeyColumns+`
			FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1`, id))
		return err
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("create api key %q: %w", nk.Name, err)
	}
	return out, nil
}

// APIKeyByHash finds the usable key whose secret hashes to hash, with its
// user. A revoked or expired key, or one of an inactive user, is
// ErrNotFound. Use is recorded at most once a minute.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (APIKey, User, error) {
	var u User
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+`, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.key_hash = $1 AND k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.is_active`, hash),
		&u.ID, &u.Username, &u.DisplayName, &u.IsAdmin, &u.IsActive, &u.IsLocal, &u.PasswordHash, &u.CreatedAt, &u.LastLoginAt, &u.SessionsAfter)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, User{}, fmt.Errorf("find api key: %w", ErrNotFound)
	}
	if err != nil {
		return APIKey{}, User{}, fmt.Errorf("find api key: %w", err)
	}
	if k.LastUsedAt == nil || time.Since(*k.LastUsedAt) > time.Minute {
		var used time.Time
		err := s.pool.QueryRow(ctx, `UPDATE api_keys SET last_used_at = now()
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
			RETURNING last_used_at`, k.ID).Scan(&used)
		switch {
		case err == nil:
			k.LastUsedAt = &used
		case !errors.Is(err, pgx.ErrNoRows): // another request just did it
			return APIKey{}, User{}, fmt.Errorf("record use of api key %s: %w", k.ID, err)
		}
	}
	return k, u, nil
}

// ListAPIKeys returns the user's keys (everyone's for userID 0), newest
// first.
func (s *Store) ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE $1::bigint = 0 OR k.user_id = $1 ORDER BY k.created_at DESC, k.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// DeleteAPIKey removes a key and its grants. With userID set only that
// user's key can go: another's is ErrNotFound.
func (s *Store) DeleteAPIKey(ctx context.Context, id string, userID int64, actor int64) error {
	if uuid.Validate(id) != nil {
		return fmt.Errorf("delete api key %q: %w", id, ErrNotFound)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var name, prefix, username string
		err := tx.QueryRow(ctx, `DELETE FROM api_keys k WHERE k.id = $1 AND ($2::bigint = 0 OR k.user_id = $2)
			RETURNING k.name, k.key_prefix, (SELECT u.username FROM users u WHERE u.id = k.user_id)`, id, userID).
			Scan(&name, &prefix, &username)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, "", actor, "api_key.delete", map[string]any{"name": name, "prefix": prefix, "owner": username})
	})
	if err != nil {
		return fmt.Errorf("delete api key %s: %w", id, err)
	}
	return nil
}

// RefreshFamily returns the family a refresh token belongs to.
func (s *Store) RefreshFamily(ctx context.Context, hash string) (string, error) {
	var family string
	err := s.pool.QueryRow(ctx, `SELECT family::text FROM refresh_tokens WHERE token_hash = $1`, hash).Scan(&family)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("refresh family: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("refresh family: %w", err)
	}
	return family, nil
}

// SessionLive reports whether a sign-in (a refresh family) still holds a
// token that is neither revoked nor expired: signing out, or a spent
// token presented again, ends it.
func (s *Store) SessionLive(ctx context.Context, family string) (bool, error) {
	if uuid.Validate(family) != nil {
		return false, nil
	}
	var live bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens
		WHERE family = $1 AND revoked_at IS NULL AND expires_at > now())`, family).Scan(&live)
	if err != nil {
		return false, fmt.Errorf("check session: %w", err)
	}
	return live, nil
}
