package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/service"
)

// App adapts the Wails lifecycle and exposes the service to the page. Each
// bound method forwards to the service with the same request and response
// types the HTTP API uses; there is no logic here.
type App struct {
	ctx    context.Context // the Wails runtime context
	q      *quarry.Quarry
	svc    *service.Service
	logger *slog.Logger
	smoke  bool
	code   atomic.Int32

	stopEvents func()
}

// NewApp binds a started Quarry to the window.
func NewApp(q *quarry.Quarry, logger *slog.Logger, smoke bool) *App {
	return &App{q: q, svc: q.Service(), logger: logger, smoke: smoke}
}

func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	// Forward the service's events to the page: progress and changes
	// arrive as Wails events named after their topics.
	ch, stop := a.svc.Events()
	a.stopEvents = stop
	go func() {
		for e := range ch {
			wruntime.EventsEmit(ctx, e.Topic, e.Data)
		}
	}()
}

func (a *App) domReady(ctx context.Context) {
	if a.smoke {
		go a.runSmokeTest(ctx)
	}
}

func (a *App) shutdown(context.Context) {
	if a.stopEvents != nil {
		a.stopEvents()
	}
	if err := a.q.Close(); err != nil {
		a.logger.Error("shutdown", "err", err)
		a.code.Store(1)
	}
}

func (a *App) exitCode() int { return int(a.code.Load()) }

// formatError renders errors for the page as the JSON text of {code,
// message, field}: the Wails runtime wraps what it gets in a JS Error, so
// structure survives only as text.
func formatError(err error) any {
	b, mErr := json.Marshal(apperr.From(err))
	if mErr != nil {
		return err.Error()
	}
	return string(b)
}

// Status reports versions and the engines in use.
func (a *App) Status() (service.Status, error) { return a.svc.Status(a.ctx) }

// ListModels returns the registered embedding models.
func (a *App) ListModels() ([]service.ModelInfo, error) { return a.svc.ListModels(a.ctx) }

// ImportModel installs a model from folders on this machine.
func (a *App) ImportModel(req service.ImportModelRequest) (service.ModelInfo, error) {
	return a.svc.ImportModel(a.ctx, req)
}

// InstallModel downloads a registered model and verifies it.
func (a *App) InstallModel(req service.InstallModelRequest) (service.ModelInfo, error) {
	return a.svc.InstallModel(a.ctx, req)
}

// ListCollections returns every collection with its counts.
func (a *App) ListCollections() ([]service.Collection, error) { return a.svc.ListCollections(a.ctx) }

// GetCollection returns one collection.
func (a *App) GetCollection(id string) (service.Collection, error) {
	return a.svc.GetCollection(a.ctx, id)
}

// CreateCollection creates a collection.
func (a *App) CreateCollection(req service.CreateCollectionRequest) (service.Collection, error) {
	return a.svc.CreateCollection(a.ctx, req)
}

// UpdateCollection renames a collection or changes its description.
func (a *App) UpdateCollection(id string, req service.UpdateCollectionRequest) (service.Collection, error) {
	return a.svc.UpdateCollection(a.ctx, id, req)
}

// DeleteCollection deletes a collection and everything in it.
func (a *App) DeleteCollection(id string) (service.Operation, error) {
	return a.svc.DeleteCollection(a.ctx, id)
}

// ListSources returns a collection's sources.
func (a *App) ListSources(collectionID string) ([]service.Source, error) {
	return a.svc.ListSources(a.ctx, collectionID)
}

// AddSource adds a folder to a collection.
func (a *App) AddSource(collectionID string, req service.AddSourceRequest) (service.Source, error) {
	return a.svc.AddSource(a.ctx, collectionID, req)
}

// RemoveSource removes a folder from a collection.
func (a *App) RemoveSource(collectionID string, sourceID int64) error {
	return a.svc.RemoveSource(a.ctx, collectionID, sourceID)
}

// UpdateSource switches a folder's watching on or off.
func (a *App) UpdateSource(collectionID string, sourceID int64, req service.UpdateSourceRequest) (service.Source, error) {
	return a.svc.UpdateSource(a.ctx, collectionID, sourceID, req)
}

// RescanCollection indexes what is new or changed in a collection's folders.
func (a *App) RescanCollection(id string) (service.Operation, error) {
	return a.svc.RescanCollection(a.ctx, id)
}

// ListOperations returns a collection's newest operations.
func (a *App) ListOperations(collectionID string) ([]service.Operation, error) {
	return a.svc.ListOperations(a.ctx, collectionID)
}

// GetOperation returns one operation.
func (a *App) GetOperation(id string) (service.Operation, error) {
	return a.svc.GetOperation(a.ctx, id)
}

// CancelOperation cancels a pending or running operation.
func (a *App) CancelOperation(id string) (service.Operation, error) {
	return a.svc.CancelOperation(a.ctx, id)
}

// PauseOperation pauses a waiting or running operation.
func (a *App) PauseOperation(id string) (service.Operation, error) {
	return a.svc.PauseOperation(a.ctx, id)
}

// ResumeOperation lets a paused operation run again.
func (a *App) ResumeOperation(id string) (service.Operation, error) {
	return a.svc.ResumeOperation(a.ctx, id)
}

// RetryDocuments tries a collection's failed documents again.
func (a *App) RetryDocuments(collectionID string, req service.RetryRequest) (service.Operation, error) {
	return a.svc.RetryDocuments(a.ctx, collectionID, req)
}

// DownloadModel starts or resumes a model's download in the background.
func (a *App) DownloadModel(name string) (service.ModelInfo, error) {
	return a.svc.DownloadModel(a.ctx, name)
}

// PauseModelDownload pauses a model's download, keeping what it fetched.
func (a *App) PauseModelDownload(name string) (service.ModelInfo, error) {
	return a.svc.PauseModelDownload(a.ctx, name)
}

// CancelModelDownload stops a model's download and removes what it fetched.
func (a *App) CancelModelDownload(name string) (service.ModelInfo, error) {
	return a.svc.CancelModelDownload(a.ctx, name)
}

// DeleteModel removes a model no collection uses.
func (a *App) DeleteModel(name string) (service.ModelInfo, error) {
	return a.svc.DeleteModel(a.ctx, name)
}

// PlanReindex says what a reindex with other settings would recompute.
func (a *App) PlanReindex(collectionID string, req service.ReindexRequest) (service.ReindexPlan, error) {
	return a.svc.PlanReindex(a.ctx, collectionID, req)
}

// ReindexCollection rebuilds a collection with another model, precision
// or chunking; search keeps working until the new build is complete.
func (a *App) ReindexCollection(collectionID string, req service.ReindexRequest) (service.Operation, error) {
	return a.svc.ReindexCollection(a.ctx, collectionID, req)
}

// ListDocuments returns a page of a collection's documents.
func (a *App) ListDocuments(collectionID string, req service.ListDocumentsRequest) ([]service.Document, error) {
	return a.svc.ListDocuments(a.ctx, collectionID, req)
}

// UnlockDocument reads a password-protected document with its password.
func (a *App) UnlockDocument(collectionID, documentID string, req service.UnlockRequest) (service.UnlockResult, error) {
	return a.svc.UnlockDocument(a.ctx, collectionID, documentID, req)
}

// Search runs a query over one or more collections. Requests that name
// the same Supersedes stream cancel the one still running.
func (a *App) Search(req service.SearchRequest) (service.SearchResponse, error) {
	return a.svc.Search(a.ctx, req)
}

// OpenDocument opens a result's file in its native application, at the
// page where the viewer allows.
func (a *App) OpenDocument(req service.OpenDocumentRequest) (service.OpenDocumentResult, error) {
	return a.svc.OpenDocument(a.ctx, req)
}

// GetSettings returns the current settings.
func (a *App) GetSettings() (service.Settings, error) { return a.svc.GetSettings(a.ctx) }

// UpdateSettings validates, applies and saves settings.
func (a *App) UpdateSettings(st service.Settings) (service.Settings, error) {
	return a.svc.UpdateSettings(a.ctx, st)
}

// Me says who uses the window: the desktop owner.
func (a *App) Me() (service.Me, error) { return a.svc.Me(a.ctx) }

// ListUsers returns the accounts colleagues sign in with.
func (a *App) ListUsers() ([]service.User, error) { return a.svc.ListUsers(a.ctx) }

// CreateUser makes an account.
func (a *App) CreateUser(req service.CreateUserRequest) (service.User, error) {
	return a.svc.CreateUser(a.ctx, req)
}

// UpdateUser resets a password, disables an account or changes its rights.
func (a *App) UpdateUser(id int64, req service.UpdateUserRequest) (service.User, error) {
	return a.svc.UpdateUser(a.ctx, id, req)
}

// ListAPIKeys returns every API key.
func (a *App) ListAPIKeys() ([]service.APIKey, error) { return a.svc.ListAPIKeys(a.ctx) }

// CreateAPIKey makes an API key; its secret is in the answer only.
func (a *App) CreateAPIKey(req service.CreateAPIKeyRequest) (service.CreatedAPIKey, error) {
	return a.svc.CreateAPIKey(a.ctx, req)
}

// DeleteAPIKey revokes an API key.
func (a *App) DeleteAPIKey(id string) error { return a.svc.DeleteAPIKey(a.ctx, id) }

// ListGrants returns who holds what on a collection.
func (a *App) ListGrants(collectionID string) ([]service.Grant, error) {
	return a.svc.ListGrants(a.ctx, collectionID)
}

// Grant gives a user or API key a permission on a collection.
func (a *App) Grant(collectionID string, req service.GrantRequest) (service.Grant, error) {
	return a.svc.GrantAccess(a.ctx, collectionID, req)
}

// RevokeGrant takes a permission away.
func (a *App) RevokeGrant(collectionID string, grantID int64) error {
	return a.svc.RevokeGrant(a.ctx, collectionID, grantID)
}

// GetSharing says how LAN sharing stands.
func (a *App) GetSharing() (service.Sharing, error) { return a.svc.GetSharing(a.ctx) }

// UpdateSharing turns LAN sharing on or off; it is remembered.
func (a *App) UpdateSharing(req service.UpdateSharingRequest) (service.Sharing, error) {
	return a.svc.UpdateSharing(a.ctx, req)
}

// AuditLog returns the newest audit entries.
func (a *App) AuditLog(limit int) ([]service.AuditEntry, error) { return a.svc.AuditLog(a.ctx, limit) }

// PickDirectory opens the native folder picker; "" means cancelled.
func (a *App) PickDirectory() (string, error) {
	return wruntime.OpenDirectoryDialog(a.ctx, wruntime.OpenDialogOptions{
		Title:                "Add a folder to Quarry",
		CanCreateDirectories: false,
	})
}

// smokeScript runs inside the page: it calls real bindings through the
// Wails bridge and reports back with an event.
const smokeScript = `(async () => {
  const app = window.go.main.App;
  try {
    const c = await app.CreateCollection({name: "Smoke test " + Date.now(), description: "created by --smoke-test", model: "", quantization: "", chunk_size: 0, chunk_overlap: 0});
    const list = await app.ListCollections();
    let rejected = "";
    try { await app.CreateCollection({name: "", description: "", model: "", quantization: "", chunk_size: 0, chunk_overlap: 0}); }
    catch (e) { try { rejected = JSON.parse(e.message).code; } catch (_) { rejected = String(e); } }
    window.dispatchEvent(new Event("quarry:refresh"));
    window.runtime.EventsEmit("smoke:result", {ok: list.some(x => x.id === c.id) && rejected === "invalid_argument", count: list.length, rejected});
  } catch (e) {
    window.runtime.EventsEmit("smoke:result", {ok: false, error: String((e && e.message) || e)});
  }
})();`

// runSmokeTest proves the window, the bridge and the service work
// together: it prints one line, gives a screenshot time to be taken, and
// quits with the outcome as the exit code.
func (a *App) runSmokeTest(ctx context.Context) {
	result := make(chan map[string]any, 1)
	wruntime.EventsOnce(ctx, "smoke:result", func(data ...any) {
		m, _ := data[0].(map[string]any)
		result <- m
	})
	wruntime.WindowExecJS(ctx, smokeScript)
	select {
	case m := <-result:
		if ok, _ := m["ok"].(bool); ok {
			os.Stdout.WriteString("smoke: ok\n")
		} else {
			a.logger.Error("smoke test failed", "result", m)
			os.Stdout.WriteString("smoke: failed\n")
			a.code.Store(1)
		}
	case <-time.After(60 * time.Second):
		os.Stdout.WriteString("smoke: timed out\n")
		a.code.Store(1)
	}
	// Let the page re-render and the caller take its screenshot.
	time.Sleep(5 * time.Second)
	wruntime.Quit(ctx)
}
