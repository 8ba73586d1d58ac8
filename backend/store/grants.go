package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Grant is a row of collection_permissions: a user's or an API key's
// permission on one collection.
type Grant struct {
	ID           int64
	CollectionID string
	// UserID and Username are set for a user's grant, APIKeyID and
	// APIKeyName for a key's.
	UserID     *int64
	Username   *string
	APIKeyID   *string
	APIKeyName *string
	Permission string
	CreatedAt  time.Time
}

const grantColumns = `p.id, p.collection_id::text, p.user_id, u.username, p.api_key_id::text, k.name,
	p.permission::text, p.created_at
	FROM collection_permissions p
	LEFT JOIN users u ON u.id = p.user_id
	LEFT JOIN api_keys k ON k.id = p.api_key_id`

func scanGrant(row pgx.Row) (Grant, error) {
	var g Grant
	err := row.Scan(&g.ID, &g.CollectionID, &g.UserID, &g.Username, &g.APIKeyID, &g.APIKeyName,
		&g.Permission, &g.CreatedAt)
	return g, err
}

// ListGrants returns a collection's grants, by id. A missing collection,
// or one being deleted, is ErrNotFound.
func (s *Store) ListGrants(ctx context.Context, collectionID string) ([]Grant, error) {
	if uuid.Validate(collectionID) != nil {
		return nil, fmt.Errorf("list grants of %q: %w", collectionID, ErrNotFound)
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1 AND deleted_at IS NULL)`,
		collectionID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("list grants of %s: %w", collectionID, err)
	}
	if !exists {
		return nil, fmt.Errorf("list grants of %s: %w", collectionID, ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+grantColumns+` WHERE p.collection_id = $1 ORDER BY p.id`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("list grants of %s: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Grant, error) { return scanGrant(r) })
	if err != nil {
		return nil, fmt.Errorf("list grants of %s: %w", collectionID, err)
	}
	return out, nil
}

// GrantAccess gives a user (userID != 0) or an API key (apiKeyID != "")
// a permission on a collection, replacing the one it had there.
func (s *Store) GrantAccess(ctx context.Context, collectionID string, userID int64, apiKeyID string, permission string, actor int64) (Grant, error) {
	if (userID != 0) == (apiKeyID != "") {
		return Grant{}, fmt.Errorf("grant access to %s: exactly one of a user and an api key is needed", collectionID)
	}
	if !validLevel(permission) {
		return Grant{}, fmt.Errorf("grant access to %s: permission %q is not read, write or admin", collectionID, permission)
	}
	if uuid.Validate(collectionID) != nil {
		return Grant{}, fmt.Errorf("grant access to %q: %w", collectionID, ErrNotFound)
	}
	if apiKeyID != "" && uuid.Validate(apiKeyID) != nil {
		return Grant{}, fmt.Errorf("grant access to %s: api key %q: %w", collectionID, apiKeyID, ErrNotFound)
	}
	var out Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// FOR SHARE keeps the collection from being deleted under the grant.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE id = $1 AND deleted_at IS NULL FOR SHARE`,
			collectionID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		details := map[string]any{"permission": permission}
		var id int64
		if userID != 0 {
			var name string
			err := tx.QueryRow(ctx, `SELECT username FROM users WHERE id = $1`, userID).Scan(&name)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("user %d: %w", userID, ErrNotFound)
			}
			if err != nil {
				return err
			}
			details["username"], details["user_id"] = name, userID
			err = tx.QueryRow(ctx, `INSERT INTO collection_permissions (collection_id, user_id, permission)
				VALUES ($1, $2, $3) ON CONFLICT (collection_id, user_id) DO UPDATE SET permission = EXCLUDED.permission
				RETURNING id`, collectionID, userID, permission).Scan(&id)
			if err != nil {
				return err
			}
		} else {
			var name string
			err := tx.QueryRow(ctx, `SELECT name FROM api_keys WHERE id = $1`, apiKeyID).Scan(&name)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("api key %s: %w", apiKeyID, ErrNotFound)
			}
			if err != nil {
				return err
			}
			details["api_key"], details["api_key_id"] = name, apiKeyID
			err = tx.QueryRow(ctx, `INSERT INTO collection_permissions (collection_id, api_key_id, permission)
				VALUES ($1, $2, $3) ON CONFLICT (collection_id, api_key_id) DO UPDATE SET permission = EXCLUDED.permission
				RETURNING id`, collectionID, apiKeyID, permission).Scan(&id)
			if err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, collectionID, actor, "permission.grant", details); err != nil {
			return err
		}
		out, err = scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+` WHERE p.id = $1`, id))
		return err
	})
	if err != nil {
		return Grant{}, fmt.Errorf("grant access to %s: %w", collectionID, err)
	}
	return out, nil
}

// RevokeGrant removes one grant of a collection.
func (s *Store) RevokeGrant(ctx context.Context, collectionID string, grantID int64, actor int64) error {
	if uuid.Validate(collectionID) != nil {
		return fmt.Errorf("revoke grant %d of %q: %w", grantID, collectionID, ErrNotFound)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, err := scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+`
			WHERE p.id = $1 AND p.collection_id = $2 FOR UPDATE OF p`, grantID, collectionID))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collection_permissions WHERE id = $1`, g.ID); err != nil {
			return err
		}
		details := map[string]any{"permission": g.Permission}
		if g.UserID != nil {
			details["username"], details["user_id"] = deref(g.Username), *g.UserID
		} else {
			details["api_key"], details["api_key_id"] = deref(g.APIKeyName), deref(g.APIKeyID)
		}
		return audit(ctx, tx, collectionID, actor, "permission.revoke", details)
	})
	if err != nil {
		return fmt.Errorf("revoke grant %d of %s: %w", grantID, collectionID, err)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// accessSQL computes the effective level per collection. A user's level
// is admin for an admin or the owner, else the greater of its grant and
// read on a public collection. With an API key it is narrowed to the
// least of that and the key's grant; a collection the key names no grant
// for is out of reach, whoever the user is. least() and greatest() skip
// NULLs, so the missing cases are filtered before they meet.
const accessSQL = `
	SELECT c.id::text, (CASE WHEN $2::uuid IS NULL THEN l.level ELSE least(l.level, kg.permission) END)::text
	FROM collections c
	JOIN users u ON u.id = $1 AND u.is_active
	LEFT JOIN collection_permissions ug ON ug.collection_id = c.id AND ug.user_id = u.id
	CROSS JOIN LATERAL (SELECT CASE WHEN u.is_admin OR c.owner_id = u.id THEN 'admin'::permission_level
		ELSE greatest(ug.permission, CASE WHEN c.is_public THEN 'read'::permission_level END) END AS level) l
	LEFT JOIN api_keys k ON k.id = $2::uuid AND k.user_id = u.id AND k.is_active
		AND (k.expires_at IS NULL OR k.expires_at > now())
	LEFT JOIN collection_permissions kg ON kg.collection_id = c.id AND kg.api_key_id = k.id
	WHERE c.deleted_at IS NULL AND ($3::uuid IS NULL OR c.id = $3::uuid)
		AND l.level IS NOT NULL AND ($2::uuid IS NULL OR kg.permission IS NOT NULL)`

// AccessLevels returns the level the user, or the user's API key when
// apiKeyID is set, has on every collection it can reach; collections out
// of reach are absent. An inactive or missing user, or a key that is not
// the user's usable key, reaches nothing.
func (s *Store) AccessLevels(ctx context.Context, userID int64, apiKeyID string) (map[string]string, error) {
	out := map[string]string{}
	if apiKeyID != "" && uuid.Validate(apiKeyID) != nil {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, accessSQL, userID, nullIf(apiKeyID, ""), nil)
	if err != nil {
		return nil, fmt.Errorf("access levels of user %d: %w", userID, err)
	}
	var id, level string
	if _, err := pgx.ForEachRow(rows, []any{&id, &level}, func() error {
		out[id] = level
		return nil
	}); err != nil {
		return nil, fmt.Errorf("access levels of user %d: %w", userID, err)
	}
	return out, nil
}

// AccessLevel is AccessLevels for one collection: "" when it is out of
// reach or does not exist.
func (s *Store) AccessLevel(ctx context.Context, userID int64, apiKeyID, collectionID string) (string, error) {
	if uuid.Validate(collectionID) != nil || apiKeyID != "" && uuid.Validate(apiKeyID) != nil {
		return "", nil
	}
	var id, level string
	err := s.pool.QueryRow(ctx, accessSQL, userID, nullIf(apiKeyID, ""), collectionID).Scan(&id, &level)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("access level of user %d on %s: %w", userID, collectionID, err)
	}
	return level, nil
}
