package service

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/atomicfile"
	"github.com/quarry-search/quarry/backend/auth"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/lan"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/store"
)

// APIKey is an API key as clients see it; its secret is shown once, when
// it is made.
type APIKey struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Prefix        string     `json:"prefix"`
	UserID        int64      `json:"user_id"`
	Username      string     `json:"username"`
	Permission    string     `json:"permission"`
	CollectionIDs []string   `json:"collection_ids"`
	CreatedAt     time.Time  `json:"created_at"`
	LastUsedAt    *time.Time `json:"last_used_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	IsActive      bool       `json:"is_active"`
}

func keyFromStore(k store.APIKey) APIKey {
	ids := k.CollectionIDs
	if ids == nil {
		ids = []string{}
	}
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, UserID: k.UserID, Username: k.Username, Permission: k.Permission,
		CollectionIDs: ids, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, IsActive: k.IsActive}
}

// CreateAPIKeyRequest makes an API key for the caller, limited to the
// collections named, at one permission.
type CreateAPIKeyRequest struct {
	Name          string   `json:"name"`
	Permission    string   `json:"permission"`
	CollectionIDs []string `json:"collection_ids"`
	ExpiresInDays int      `json:"expires_in_days,omitempty"`
}

// CreatedAPIKey is a new key with its secret, which is not kept.
type CreatedAPIKey struct {
	Key    APIKey `json:"key"`
	Secret string `json:"secret"`
}

// signedIn returns the caller's account: the desktop owner's when there
// is no principal. API keys cannot manage keys.
func (s *Service) signedIn(ctx context.Context) (int64, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return s.localUser, nil
	}
	if p.APIKeyID != "" {
		return 0, apperr.New(apperr.Forbidden, "An API key cannot manage API keys; sign in instead.")
	}
	return p.UserID, nil
}

// ListAPIKeys returns the caller's keys; an administrator's list holds
// everyone's.
func (s *Service) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	uid, err := s.signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if s.IsAdmin(ctx) {
		uid = 0
	}
	list, err := s.store.ListAPIKeys(ctx, uid)
	if err != nil {
		return nil, s.internal("list API keys", err)
	}
	out := make([]APIKey, len(list))
	for i, k := range list {
		out[i] = keyFromStore(k)
	}
	return out, nil
}

// CreateAPIKey makes a key for scripts. It can never do more than its
// user: each collection it names must be one the user holds the
// permission on.
func (s *Service) CreateAPIKey(ctx context.Context, req CreateAPIKeyRequest) (CreatedAPIKey, error) {
	uid, err := s.signedIn(ctx)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "name", "Give the key a name that says what uses it.")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 128 || strings.ContainsFunc(name, isControl):
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "name", "The name must be text of at most 128 characters, without control characters.")
	case !slices.Contains(Levels, req.Permission):
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "permission", "Permission must be read, write or admin.")
	case len(req.CollectionIDs) == 0:
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "collection_ids", "Name at least one collection the key may reach.")
	case len(req.CollectionIDs) > 1000:
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "collection_ids", "Name at most 1,000 collections.")
	case req.ExpiresInDays < 0 || req.ExpiresInDays > 3650:
		return CreatedAPIKey{}, apperr.Field(apperr.InvalidArgument, "expires_in_days", "A key expires within 0 (never) to 3650 days.")
	}
	ids := slices.Clone(req.CollectionIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if uuid.Validate(id) != nil {
			return CreatedAPIKey{}, apperr.Field(apperr.NotFound, "collection_ids", "That collection does not exist.")
		}
		if err := s.need(ctx, id, req.Permission); err != nil {
			return CreatedAPIKey{}, err
		}
	}
	secret, prefix, err := auth.NewAPIKey()
	if err != nil {
		return CreatedAPIKey{}, s.internal("create API key", err)
	}
	nk := store.NewAPIKey{UserID: uid, Name: name, Prefix: prefix, Hash: auth.Digest(secret), Permission: req.Permission, CollectionIDs: ids}
	if req.ExpiresInDays > 0 {
		t := time.Now().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
		nk.ExpiresAt = &t
	}
	k, err := s.store.CreateAPIKey(ctx, nk, s.actor(ctx))
	if errors.Is(err, store.ErrNotFound) {
		return CreatedAPIKey{}, apperr.Field(apperr.NotFound, "collection_ids", "That collection does not exist.")
	}
	if err != nil {
		return CreatedAPIKey{}, s.internal("create API key", err)
	}
	return CreatedAPIKey{Key: keyFromStore(k), Secret: secret}, nil
}

// DeleteAPIKey revokes a key: the caller's own, or anyone's for an
// administrator.
func (s *Service) DeleteAPIKey(ctx context.Context, id string) error {
	uid, err := s.signedIn(ctx)
	if err != nil {
		return err
	}
	if s.IsAdmin(ctx) {
		uid = 0
	}
	err = s.store.DeleteAPIKey(ctx, id, uid, s.actor(ctx))
	if errors.Is(err, store.ErrNotFound) {
		return apperr.New(apperr.NotFound, "Not found: API key %s.", truncate(id, 40))
	}
	if err != nil {
		return s.internal("delete API key", err)
	}
	return nil
}

// Grant is one user's or API key's permission on a collection.
type Grant struct {
	ID           int64     `json:"id"`
	CollectionID string    `json:"collection_id"`
	UserID       *int64    `json:"user_id"`
	Username     *string   `json:"username"`
	APIKeyID     *string   `json:"api_key_id"`
	APIKeyName   *string   `json:"api_key_name"`
	Permission   string    `json:"permission"`
	CreatedAt    time.Time `json:"created_at"`
}

func grantFromStore(g store.Grant) Grant {
	return Grant{ID: g.ID, CollectionID: g.CollectionID, UserID: g.UserID, Username: g.Username, APIKeyID: g.APIKeyID,
		APIKeyName: g.APIKeyName, Permission: g.Permission, CreatedAt: g.CreatedAt}
}

// GrantRequest gives a user (by name) or an API key a permission.
type GrantRequest struct {
	Username   string `json:"username,omitempty"`
	APIKeyID   string `json:"api_key_id,omitempty"`
	Permission string `json:"permission"`
}

// ListGrants returns who holds what on a collection.
func (s *Service) ListGrants(ctx context.Context, collectionID string) ([]Grant, error) {
	if err := s.need(ctx, collectionID, LevelAdmin); err != nil {
		return nil, err
	}
	list, err := s.store.ListGrants(ctx, collectionID)
	if err != nil {
		return nil, s.storeError("list permissions", err, "collection "+collectionID)
	}
	out := make([]Grant, len(list))
	for i, g := range list {
		out[i] = grantFromStore(g)
	}
	return out, nil
}

// GrantAccess gives (or changes) a permission on a collection.
func (s *Service) GrantAccess(ctx context.Context, collectionID string, req GrantRequest) (Grant, error) {
	if err := s.need(ctx, collectionID, LevelAdmin); err != nil {
		return Grant{}, err
	}
	if !slices.Contains(Levels, req.Permission) {
		return Grant{}, apperr.Field(apperr.InvalidArgument, "permission", "Permission must be read, write or admin.")
	}
	var uid int64
	switch {
	case (req.Username == "") == (req.APIKeyID == ""):
		return Grant{}, apperr.Field(apperr.InvalidArgument, "username", "Name either a user (username) or an API key (api_key_id).")
	case req.Username != "":
		name, err := cleanUsername(req.Username)
		if err != nil {
			return Grant{}, apperr.Field(apperr.NotFound, "username", "There is no user called %q.", truncate(req.Username, 64))
		}
		u, err := s.store.UserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return Grant{}, apperr.Field(apperr.NotFound, "username", "There is no user called %q.", truncate(req.Username, 64))
		}
		if err != nil {
			return Grant{}, s.internal("grant permission", err)
		}
		uid = u.ID
	case uuid.Validate(req.APIKeyID) != nil:
		return Grant{}, apperr.Field(apperr.NotFound, "api_key_id", "There is no such API key.")
	}
	g, err := s.store.GrantAccess(ctx, collectionID, uid, req.APIKeyID, req.Permission, s.actor(ctx))
	if errors.Is(err, store.ErrNotFound) {
		field := "username"
		if req.APIKeyID != "" {
			field = "api_key_id"
		}
		return Grant{}, apperr.Field(apperr.NotFound, field, "That user or API key does not exist.")
	}
	if err != nil {
		return Grant{}, s.internal("grant permission", err)
	}
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: collectionID})
	return grantFromStore(g), nil
}

// RevokeGrant takes a permission away.
func (s *Service) RevokeGrant(ctx context.Context, collectionID string, grantID int64) error {
	if err := s.need(ctx, collectionID, LevelAdmin); err != nil {
		return err
	}
	err := s.store.RevokeGrant(ctx, collectionID, grantID, s.actor(ctx))
	if errors.Is(err, store.ErrNotFound) {
		return apperr.New(apperr.NotFound, "Not found: permission %d.", grantID)
	}
	if err != nil {
		return s.internal("revoke permission", err)
	}
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: collectionID})
	return nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID             int64          `json:"id"`
	CreatedAt      time.Time      `json:"created_at"`
	Username       *string        `json:"username"`
	Action         string         `json:"action"`
	CollectionID   *string        `json:"collection_id"`
	CollectionName *string        `json:"collection_name"`
	Address        string         `json:"address"`
	Details        map[string]any `json:"details"`
}

// AuditLog returns the newest entries of the audit log: who did what,
// when, and from where.
func (s *Service) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if err := s.needAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := s.store.AuditLog(ctx, "", limit)
	if err != nil {
		return nil, s.internal("read audit log", err)
	}
	out := make([]AuditEntry, len(list))
	for i, e := range list {
		var who *string
		if e.Username != "" {
			who = &e.Username
		}
		d := e.Details
		if d == nil {
			d = map[string]any{}
		}
		out[i] = AuditEntry{ID: e.ID, CreatedAt: e.CreatedAt, Username: who, Action: e.Action, CollectionID: e.CollectionID,
			CollectionName: e.CollectionName, Address: e.Address, Details: d}
	}
	return out, nil
}

// DocumentFile is an indexed file to hand out. For a file inside an
// archive or e-mail, Path is a temporary copy that Close removes.
type DocumentFile struct {
	Path     string
	Name     string
	MimeType string
	Size     int64
	cleanup  func()
}

// Close lets go of a temporary copy; it is safe to call on any file.
func (f DocumentFile) Close() {
	if f.cleanup != nil {
		f.cleanup()
	}
}

// DocumentFile returns the original of a document the caller may read.
// Only a regular file still inside one of its collection's folders is
// handed out: a link put in its place later is refused. A file inside an
// archive or e-mail is unpacked from it to a temporary copy; the caller
// must Close the result.
func (s *Service) DocumentFile(ctx context.Context, id string) (DocumentFile, error) {
	notFound := apperr.New(apperr.NotFound, "That document does not exist.")
	if uuid.Validate(id) != nil {
		return DocumentFile{}, notFound
	}
	cid, path, mime, err := s.store.DocumentFile(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return DocumentFile{}, notFound
	}
	if err != nil {
		return DocumentFile{}, s.internal("download document", err)
	}
	if l, err := s.level(ctx, cid); err != nil {
		return DocumentFile{}, err
	} else if l == "" {
		return DocumentFile{}, notFound
	}
	srcs, err := s.store.ListSources(ctx, cid)
	if err != nil {
		return DocumentFile{}, s.storeError("download document", err, "document")
	}
	file, _ := extract.SplitMember(path)
	inside := false
	for _, x := range srcs {
		inside = inside || within(x.Path, file)
	}
	st, err := os.Lstat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return DocumentFile{}, apperr.New(apperr.PathNotFound, "%s is no longer there.", filepath.Base(file))
	case err != nil:
		return DocumentFile{}, apperr.Wrap(err, apperr.PathUnreadable, "%s cannot be read.", filepath.Base(file))
	case !inside || !st.Mode().IsRegular():
		return DocumentFile{}, apperr.New(apperr.Forbidden, "%s is not a plain file inside the collection's folders any more.", filepath.Base(file))
	}
	if file == path {
		return DocumentFile{Path: path, Name: filepath.Base(path), MimeType: mime, Size: st.Size()}, nil
	}
	local, cleanup, err := s.unpackMember(ctx, path)
	if err != nil {
		return DocumentFile{}, err
	}
	mst, err := os.Stat(local)
	if err != nil {
		cleanup()
		return DocumentFile{}, apperr.Wrap(err, apperr.PathUnreadable, "%s cannot be read.", extract.MemberBase(path))
	}
	return DocumentFile{Path: local, Name: extract.MemberBase(path), MimeType: mime, Size: mst.Size(), cleanup: cleanup}, nil
}

// unpackMember writes a file inside an archive or e-mail to a temporary
// copy.
func (s *Service) unpackMember(ctx context.Context, path string) (string, func(), error) {
	file, chain := extract.SplitMember(path)
	if _, err := os.Stat(file); err != nil {
		return "", nil, apperr.Wrap(err, apperr.PathNotFound, "%s is no longer there.", filepath.Base(file))
	}
	local, cleanup, err := extract.Materialize(ctx, path, s.unpackDir())
	outer := filepath.Base(file)
	if len(chain) > 1 {
		outer = extract.MemberBase(strings.Join(append([]string{file}, chain[:len(chain)-1]...), extract.MemberSep))
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, apperr.Wrap(err, apperr.PathNotFound, "%s is no longer inside %s.", extract.MemberBase(path), outer)
	case err != nil:
		return "", nil, apperr.Wrap(err, apperr.PathUnreadable, "%s cannot be unpacked from %s: %s", extract.MemberBase(path), outer, extract.Reason(err))
	}
	return local, cleanup, nil
}

// unpackDir is where files inside archives are unpacked to be handed out
// or opened.
func (s *Service) unpackDir() string {
	if s.info.DataDir == "" {
		return filepath.Join(os.TempDir(), "quarry-opened")
	}
	return filepath.Join(locations.New(s.info.DataDir).Cache, "opened")
}

// within reports whether path lies inside dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Sharer runs the HTTPS listener colleagues reach; the lan package's
// Server is one.
type Sharer interface {
	Start(addr string) error
	Stop(ctx context.Context) error
	Status() lan.Status
	// SetAnnounce turns the announcement on the local network (mDNS)
	// on or off.
	SetAnnounce(on bool)
}

// Sharing is how LAN sharing stands.
type Sharing struct {
	Enabled     bool     `json:"enabled"`
	Running     bool     `json:"running"`
	Address     string   `json:"address"`
	URLs        []string `json:"urls"`
	Fingerprint string   `json:"fingerprint"`
	Certificate string   `json:"certificate"`
	QR          string   `json:"qr"`
	Error       string   `json:"error"`
	// Announce says whether sharing is announced on the local network
	// (mDNS), as "Quarry on HOST"; Announced is that name while it is,
	// AnnounceError why it is not although asked for.
	Announce      bool   `json:"announce"`
	Announced     string `json:"announced"`
	AnnounceError string `json:"announce_error"`
}

// UpdateSharingRequest turns sharing on or off; it is remembered.
// Announce, when given, turns the mDNS announcement on or off (it is on
// unless turned off).
type UpdateSharingRequest struct {
	Enabled  bool   `json:"enabled"`
	Address  string `json:"address"`
	Announce *bool  `json:"announce,omitempty"`
}

// DefaultSharingAddress is where sharing listens unless told otherwise.
const DefaultSharingAddress = "0.0.0.0:8788"

type sharingConfig struct {
	Enabled bool   `json:"enabled"`
	Address string `json:"address"`
	// Announce is nil until first chosen: on.
	Announce *bool `json:"announce,omitempty"`
}

// SetSharer connects the listener that UpdateSharing starts and stops,
// announcing it as last chosen.
func (s *Service) SetSharer(sh Sharer) {
	s.sharingMu.Lock()
	defer s.sharingMu.Unlock()
	s.sharer = sh
	if sh != nil {
		sh.SetAnnounce(s.readSharingConfig().announces())
	}
}

func (c sharingConfig) announces() bool { return c.Announce == nil || *c.Announce }

func (s *Service) sharingPath() string {
	if s.accounts.keyPath == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(s.accounts.keyPath), "sharing.json")
}

// SharingConfig returns what was last chosen: whether sharing is on, and
// its address.
func (s *Service) SharingConfig() (enabled bool, address string) {
	c := s.readSharingConfig()
	return c.Enabled, c.Address
}

func (s *Service) readSharingConfig() sharingConfig {
	c := sharingConfig{Address: DefaultSharingAddress}
	if p := s.sharingPath(); p != "" {
		if raw, err := os.ReadFile(p); err == nil {
			if err := json.Unmarshal(raw, &c); err != nil {
				s.logger.Warn("sharing settings unreadable; sharing stays off", "file", p, "err", err)
				return sharingConfig{Address: DefaultSharingAddress}
			}
		}
	}
	if c.Address == "" {
		c.Address = DefaultSharingAddress
	}
	return c
}

// GetSharing says how sharing stands.
func (s *Service) GetSharing(ctx context.Context) (Sharing, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Sharing{}, err
	}
	s.sharingMu.Lock()
	defer s.sharingMu.Unlock()
	return s.sharing(), nil
}

func (s *Service) sharing() Sharing {
	c := s.readSharingConfig()
	out := Sharing{Enabled: c.Enabled, Address: c.Address, URLs: []string{}, Announce: c.announces()}
	if s.sharer == nil {
		out.Error = "Sharing is not available in this Quarry."
		return out
	}
	st := s.sharer.Status()
	out.Running, out.Fingerprint, out.Certificate, out.QR, out.Error = st.Running, st.Fingerprint, st.Certificate, st.QR, st.Error
	out.Announced, out.AnnounceError = st.Announced, st.AnnounceError
	if st.Running {
		out.Address = st.Address
		out.URLs = st.URLs
	}
	if out.URLs == nil {
		out.URLs = []string{}
	}
	return out
}

// UpdateSharing starts or stops sharing and remembers the choice.
func (s *Service) UpdateSharing(ctx context.Context, req UpdateSharingRequest) (Sharing, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Sharing{}, err
	}
	addr := strings.TrimSpace(req.Address)
	if addr == "" {
		addr = DefaultSharingAddress
	}
	if len(addr) > 255 {
		return Sharing{}, apperr.Field(apperr.InvalidArgument, "address", "The address is too long: give HOST:PORT, such as %s.", DefaultSharingAddress)
	}
	s.sharingMu.Lock()
	defer s.sharingMu.Unlock()
	if s.sharer == nil {
		return Sharing{}, apperr.New(apperr.Unavailable, "Sharing is not available in this Quarry.")
	}
	announce := s.readSharingConfig().Announce
	if req.Announce != nil {
		announce = req.Announce
	}
	s.sharer.SetAnnounce(announce == nil || *announce)
	if req.Enabled {
		if err := s.sharer.Start(addr); err != nil {
			return Sharing{}, err
		}
	} else if err := s.sharer.Stop(ctx); err != nil {
		return Sharing{}, s.internal("stop sharing", err)
	}
	if p := s.sharingPath(); p != "" {
		raw, _ := json.MarshalIndent(sharingConfig{Enabled: req.Enabled, Address: addr, Announce: announce}, "", "  ")
		if err := atomicfile.Write(p, raw, 0o600); err != nil {
			return Sharing{}, s.internal("save sharing settings", err)
		}
	}
	action := "sharing.disable"
	if req.Enabled {
		action = "sharing.enable"
	}
	_ = s.store.Audit(ctx, "", s.actor(ctx), action, map[string]any{"address": addr, "announce": announce == nil || *announce})
	s.logger.Info(strings.TrimPrefix(action, "sharing."), "address", addr)
	return s.sharing(), nil
}
