package quarry_test

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// Sharing turned on in Settings is on again at the next start; --lan on
// an address that cannot be used stops the start with a reason.
func TestSharingRemembered(t *testing.T) {
	opts := quarry.Options{
		Locations:   locations.New(filepath.Join(testenv.ReachableDir(t), "quarry")),
		DatabaseURL: testenv.EmptyDatabase(t),
		Logger:      testenv.Logger(t),
	}
	q, err := quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if q.LANAddr() != nil {
		t.Fatal("sharing is on before anyone turned it on")
	}
	sh, err := q.Service().UpdateSharing(t.Context(), service.UpdateSharingRequest{Enabled: true, Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if !sh.Running || sh.Fingerprint == "" || len(sh.URLs) == 0 || sh.QR == "" {
		t.Fatalf("sharing = %+v", sh)
	}
	// Announced by default, but a loopback address is not announced.
	if !sh.Announce || sh.Announced != "" || sh.AnnounceError != "" {
		t.Errorf("announcement of a loopback address: %+v", sh)
	}
	off := false
	if sh, err = q.Service().UpdateSharing(t.Context(), service.UpdateSharingRequest{Enabled: true, Address: "127.0.0.1:0", Announce: &off}); err != nil || sh.Announce || !sh.Running {
		t.Fatalf("turning the announcement off: %+v, %v", sh, err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q, err = quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	addr := q.LANAddr()
	if addr == nil {
		t.Fatal("sharing was not on again after a restart")
	}
	if sh, err := q.Service().GetSharing(t.Context()); err != nil || sh.Announce {
		t.Errorf("the announcement turned off is remembered: %+v, %v", sh, err)
	}
	// Anonymous requests over the shared address are refused.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + addr.String() + "/api/v1/collections")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous request over sharing: %d, want 401", resp.StatusCode)
	}
	if sh, err = q.Service().UpdateSharing(t.Context(), service.UpdateSharingRequest{Enabled: false}); err != nil || sh.Running {
		t.Fatalf("turning sharing off: %+v, %v", sh, err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	bad := opts
	bad.LAN = "127.0.0.1:99999"
	if q, err := quarry.Start(t.Context(), bad); err == nil {
		q.Close()
		t.Fatal("a start with --lan on a bad port succeeded")
	} else if e := apperr.From(err); e.Code == apperr.Internal {
		t.Errorf("the reason is not for people: %v", err)
	}
}

func TestAddUserHeadless(t *testing.T) {
	opts := quarry.Options{
		Locations:   locations.New(filepath.Join(testenv.ReachableDir(t), "quarry")),
		DatabaseURL: testenv.EmptyDatabase(t),
		Logger:      testenv.Logger(t),
	}
	u, err := quarry.AddUser(t.Context(), opts, service.CreateUserRequest{Username: "ops", Password: "a long enough password", IsAdmin: true})
	if err != nil || !u.IsAdmin || u.Username != "ops" {
		t.Fatalf("add user: %+v, %v", u, err)
	}
	_, err = quarry.AddUser(t.Context(), opts, service.CreateUserRequest{Username: "OPS", Password: "a long enough password"})
	if e := apperr.From(err); e == nil || e.Code != apperr.NameTaken {
		t.Fatalf("the same name again: %v", err)
	}
	q, err := quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Service().Login(t.Context(), service.LoginRequest{Username: "ops", Password: "a long enough password"}, "127.0.0.1"); err != nil {
		t.Fatalf("the headless user cannot sign in: %v", err)
	}
}
