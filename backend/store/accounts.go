package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is a row of users: the desktop's own (local) user or an account
// of LAN sharing.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	IsAdmin     bool
	IsActive    bool
	IsLocal     bool
	// PasswordHash is "" when the user has none (the local owner has none
	// unless one is set).
	PasswordHash string
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	// SessionsAfter ends every access token issued before it (a new
	// password, a disabled account).
	SessionsAfter time.Time
}

// NewUser is what CreateUser needs; the caller validates it and hashes
// the password.
type NewUser struct {
	Username     string
	DisplayName  string
	PasswordHash string
	IsAdmin      bool
}

// UserUpdate changes the fields that are set.
type UserUpdate struct {
	DisplayName  *string
	PasswordHash *string
	IsActive     *bool
	IsAdmin      *bool
}

const userColumns = `u.id, u.username, u.display_name, u.is_admin, u.is_active, u.is_local,
	coalesce(u.password_hash, ''), u.created_at, u.last_login_at, u.sessions_after`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.IsAdmin, &u.IsActive, &u.IsLocal,
		&u.PasswordHash, &u.CreatedAt, &u.LastLoginAt, &u.SessionsAfter)
	return u, err
}

// CreateUser inserts an account. Usernames are unique regardless of case.
func (s *Store) CreateUser(ctx context.Context, nu NewUser, actor int64) (User, error) {
	var out User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users AS u (username, display_name, password_hash, is_admin)
			VALUES ($1, $2, $3, $4) RETURNING `+userColumns,
			nu.Username, nu.DisplayName, nullIf(nu.PasswordHash, ""), nu.IsAdmin))
		if isUniqueViolation(err, "users_username_key") {
			return ErrNameTaken
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, "", actor, "user.create", map[string]any{"username": out.Username, "is_admin": out.IsAdmin})
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	return out, nil
}

// GetUser returns one user.
func (s *Store) GetUser(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("get user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// UserByName returns the user called name, regardless of case.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE lower(u.username) = lower($1)`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("find user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("find user %q: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user, by id.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser changes an account. The local user can be neither
// deactivated nor demoted: the desktop would lose its owner. A new
// password or a deactivation ends every session of the user.
func (s *Store) UpdateUser(ctx context.Context, id int64, upd UserUpdate, actor int64) (User, error) {
	var out User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if old.IsLocal && (upd.IsActive != nil && !*upd.IsActive || upd.IsAdmin != nil && !*upd.IsAdmin) {
			return ErrLocalUser
		}
		var changed []string
		if upd.DisplayName != nil && *upd.DisplayName != old.DisplayName {
			changed = append(changed, "display_name")
		}
		// A password counts as changed whenever one is set: the hashes of
		// the same password differ anyway.
		if upd.PasswordHash != nil {
			changed = append(changed, "password")
		}
		if upd.IsActive != nil && *upd.IsActive != old.IsActive {
			changed = append(changed, "is_active")
		}
		if upd.IsAdmin != nil && *upd.IsAdmin != old.IsAdmin {
			changed = append(changed, "is_admin")
		}
		var hash any
		if upd.PasswordHash != nil {
			hash = nullIf(*upd.PasswordHash, "")
		}
		out, err = scanUser(tx.QueryRow(ctx, `
			UPDATE users AS u SET display_name = coalesce($2, display_name),
				password_hash = CASE WHEN $3 THEN $4 ELSE password_hash END,
				is_active = coalesce($5, is_active), is_admin = coalesce($6, is_admin), updated_at = now()
			WHERE u.id = $1 RETURNING `+userColumns,
			id, upd.DisplayName, upd.PasswordHash != nil, hash, upd.IsActive, upd.IsAdmin))
		if err != nil {
			return err
		}
		if upd.PasswordHash != nil || upd.IsActive != nil && !*upd.IsActive {
			if err := revokeUserTokens(ctx, tx, id); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return audit(ctx, tx, "", actor, "user.update", map[string]any{"username": out.Username, "changed": changed})
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return out, nil
}

// RecordLogin notes that the user just signed in.
func (s *Store) RecordLogin(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET last_login_at = now() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("record login of user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record login of user %d: %w", id, ErrNotFound)
	}
	return nil
}
