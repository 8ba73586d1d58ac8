// Package watch keeps watched folders in step with their collections:
// a Tree watches one folder recursively through fsnotify (no polling),
// applies the scanning rules to what it sees, aggregates events per
// folder and reports them once the folder is quiet; the Supervisor runs a
// Tree for every watched source and turns what they report into durable
// append work, coalesced with work already queued.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/quarry-search/quarry/backend/scan"
)

// Watch states, as sources report them.
const (
	Watching = "watching"
	Scanning = "scanning"
	Paused   = "paused"
	Offline  = "offline"
	Error    = "error"
)

// OfflineMessage is what a watched folder that went away says.
const OfflineMessage = "The folder is not there (unplugged, unmounted or renamed?). Its documents stay searchable; Quarry picks it up again when it returns."

// State is what a watch says of itself.
type State struct {
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// Config tunes a Tree. Zero durations take the defaults.
type Config struct {
	// Options are the scanning rules; a watch sees what a scan would pick.
	Options scan.Options
	// WriteDelay is how quiet a folder must stay after a file was created
	// or written before its changes are reported (default 250 ms);
	// DeleteDelay the same after a deletion or rename (default 800 ms):
	// longer, so that an editor's rename-and-replace or a move reads as
	// one change. MaxDelay bounds the wait of a folder that never goes
	// quiet (default 2 s).
	WriteDelay, DeleteDelay, MaxDelay time.Duration
	// OfflineCheck is how often a folder that went away is looked for
	// (default 2 s). Only a missing folder is checked this way.
	OfflineCheck time.Duration
	// FallbackRescan is how often a tree with folders that cannot be
	// watched (the system's limit) is rescanned (default 10 minutes).
	FallbackRescan time.Duration
	// Changed receives, once their folders are quiet, the paths that
	// changed and still exist and those that are gone. Folders come
	// without their contents (a new folder is one path).
	Changed func(changed, removed []string)
	// Rescan asks for a folder to be scanned in full: events were lost, or
	// the folder came back after being away.
	Rescan func(dir string)
	// StateChanged is told when the tree's state or message changes.
	StateChanged func(State)
	Logger       *slog.Logger

	// maxWatches, when set, is the number of folders the tree may watch,
	// as if it were the system's limit (tests).
	maxWatches int
	// hold, when set, stops the tree reading events until it is closed
	// (tests force an overflow of the kernel's queue with it).
	hold <-chan struct{}
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.WriteDelay, 250*time.Millisecond)
	def(&c.DeleteDelay, 800*time.Millisecond)
	def(&c.MaxDelay, 2*time.Second)
	def(&c.OfflineCheck, 2*time.Second)
	def(&c.FallbackRescan, 10*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Changed == nil {
		c.Changed = func(_, _ []string) {}
	}
	if c.Rescan == nil {
		c.Rescan = func(string) {}
	}
	if c.StateChanged == nil {
		c.StateChanged = func(State) {}
	}
}

// Tree watches one folder and everything under it.
type Tree struct {
	root   string
	cfg    Config
	filter *scan.Filter
	log    *slog.Logger

	mu    sync.Mutex
	state State

	// Owned by the goroutine in Run.
	fsw       *fsnotify.Watcher
	dirs      map[string]bool // folders with a watch
	unwatched int             // folders the system's limit left out
	pending   map[string]*batch
	warning   string
}

// batch is what changed in one folder since it was last reported.
type batch struct {
	paths map[string]bool
	first time.Time
	due   time.Time
}

// NewTree returns a watch of root; Run runs it.
func NewTree(root string, cfg Config) *Tree {
	cfg.defaults()
	root = filepath.Clean(root)
	return &Tree{root: root, cfg: cfg, filter: scan.NewFilter(root, cfg.Options), log: cfg.Logger.With("folder", root)}
}

// State returns the tree's state now.
func (t *Tree) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

func (t *Tree) setState(s State) {
	t.mu.Lock()
	same := t.state == s
	t.state = s
	t.mu.Unlock()
	if !same {
		t.cfg.StateChanged(s)
	}
}

// Run watches until ctx ends. A folder that disappears makes the tree
// offline until it returns; it is then rescanned and watched again.
func (t *Tree) Run(ctx context.Context) error {
	first := true
	for ctx.Err() == nil {
		if !isDir(t.root) {
			t.setState(State{Offline, OfflineMessage})
			if !t.waitForRoot(ctx) {
				break
			}
			first = false
		}
		if !first {
			// Whatever happened while it was away.
			t.filter.Forget(t.root)
			t.cfg.Rescan(t.root)
		}
		first = false
		err := t.watch(ctx)
		if err != nil && ctx.Err() == nil {
			t.log.Warn("folder watch failed", "err", err)
			t.setState(State{Error, fmt.Sprintf("Quarry cannot watch this folder: %v. Changes arrive when you rescan.", err)})
			select {
			case <-ctx.Done():
			case <-time.After(t.cfg.FallbackRescan):
			}
		}
	}
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// waitForRoot checks for the folder now and then until it is back.
func (t *Tree) waitForRoot(ctx context.Context) bool {
	tick := time.NewTicker(t.cfg.OfflineCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
			if isDir(t.root) {
				t.log.Info("folder is back")
				return true
			}
		}
	}
}

// watch runs one fsnotify watcher over the tree until ctx ends or the
// root goes away.
func (t *Tree) watch(ctx context.Context) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return limitError(err)
	}
	defer fsw.Close()
	t.fsw, t.dirs, t.pending, t.unwatched, t.warning = fsw, map[string]bool{}, map[string]*batch{}, 0, ""
	if err := t.addTree(t.root); err != nil && len(t.dirs) == 0 {
		return err
	}
	t.publishWatching()
	t.log.Debug("watching folder", "folders", len(t.dirs))

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	rootCheck := time.NewTicker(30 * time.Second)
	defer rootCheck.Stop()
	var fallback <-chan time.Time
	if t.unwatched > 0 {
		tk := time.NewTicker(t.cfg.FallbackRescan)
		defer tk.Stop()
		fallback = tk.C
	}
	if t.cfg.hold != nil {
		select {
		case <-t.cfg.hold:
		case <-ctx.Done():
			return nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsw.Events:
			if !ok {
				return nil
			}
			if t.event(ev) {
				// The root itself went away: what it reported on its way
				// out is not a deletion by the user, and is dropped.
				t.log.Warn("folder went away; its documents stay searchable")
				t.pending = nil
				return nil
			}
			t.arm(timer)
		case err, ok := <-fsw.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				t.overflowed()
				continue
			}
			t.log.Warn("folder watch error", "err", err)
		case <-timer.C:
			if !isDir(t.root) {
				t.pending = nil
				return nil
			}
			t.flush(time.Now())
			t.arm(timer)
		case <-rootCheck.C:
			// A folder above the root renamed or unmounted tells the
			// root's own watch nothing.
			if !isDir(t.root) {
				t.pending = nil
				return nil
			}
		case <-fallback:
			t.cfg.Rescan(t.root)
		}
	}
}

func (t *Tree) publishWatching() {
	msg := t.warning
	if t.unwatched > 0 {
		t.setState(State{Error, watchLimitMessage(t.unwatched, t.cfg.FallbackRescan)})
		return
	}
	t.setState(State{Watching, msg})
}

// overflowed handles lost events: the kernel's queue was full, so what
// changed is unknown; the whole tree is rescanned.
func (t *Tree) overflowed() {
	t.log.Warn("too many changes at once: events were lost; rescanning the folder")
	t.warning = overflowMessage(time.Now())
	t.pending = map[string]*batch{}
	t.filter.Forget(t.root)
	// Folders created while events were lost have no watch yet.
	_ = t.addTree(t.root)
	t.cfg.Rescan(t.root)
	t.publishWatching()
}

// arm sets the timer to the earliest folder that is due.
func (t *Tree) arm(timer *time.Timer) {
	var next time.Time
	for _, b := range t.pending {
		if next.IsZero() || b.due.Before(next) {
			next = b.due
		}
	}
	timer.Stop()
	if !next.IsZero() {
		timer.Reset(max(time.Until(next), time.Millisecond))
	}
}

// event records one fsnotify event; it returns true when the root itself
// is gone.
func (t *Tree) event(ev fsnotify.Event) (rootGone bool) {
	p := filepath.Clean(ev.Name)
	if p == t.root {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) || !isDir(t.root) {
			return true
		}
		return false
	}
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Remove) && !ev.Has(fsnotify.Rename) {
		return false // attributes only: the content is the same
	}
	dir := filepath.Dir(p)
	if t.filter.IsIgnoreFile(filepath.Base(p)) {
		// The rules changed: what the folder holds may change with them.
		t.filter.Forget(dir)
		t.mark(dir, dir, t.cfg.WriteDelay)
		return false
	}
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	wasDir := t.dirs[p]
	isDirNow := false
	if !gone {
		st, err := os.Stat(p)
		if err != nil {
			gone = true
		} else {
			isDirNow = st.IsDir()
		}
	}
	if t.filter.Skip(p, isDirNow || wasDir) {
		return false
	}
	if gone {
		if wasDir {
			t.unwatch(p)
		}
		t.mark(dir, p, t.cfg.DeleteDelay)
		return false
	}
	if isDirNow && ev.Has(fsnotify.Create) {
		// A new folder (made, moved or copied in): watch it, and report it
		// whole, for what arrived before the watch did.
		_ = t.addTree(p)
		if t.unwatched > 0 {
			t.publishWatching()
		}
	}
	if isDirNow && !ev.Has(fsnotify.Create) {
		return false
	}
	t.mark(dir, p, t.cfg.WriteDelay)
	return false
}

// mark records that p, in folder dir, changed; the folder is reported
// once it has been quiet for delay, or MaxDelay after its first change.
func (t *Tree) mark(dir, p string, delay time.Duration) {
	now := time.Now()
	b := t.pending[dir]
	if b == nil {
		b = &batch{paths: map[string]bool{}, first: now}
		t.pending[dir] = b
	}
	b.paths[p] = true
	due := now.Add(delay)
	if due.Before(b.due) {
		due = b.due
	}
	if limit := b.first.Add(t.cfg.MaxDelay); due.After(limit) {
		due = limit
	}
	b.due = due
}

// flush reports every folder due by now.
func (t *Tree) flush(now time.Time) {
	var paths []string
	for dir, b := range t.pending {
		if b.due.After(now) {
			continue
		}
		for p := range b.paths {
			paths = append(paths, p)
		}
		delete(t.pending, dir)
	}
	if len(paths) == 0 {
		return
	}
	paths = outermost(paths)
	var changed, removed []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			removed = append(removed, p)
		} else {
			changed = append(changed, p)
		}
	}
	t.cfg.Changed(changed, removed)
}

// outermost sorts paths and drops those inside another one of them.
func outermost(paths []string) []string {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	out := paths[:0]
	for _, p := range paths {
		if n := len(out); n > 0 && strings.HasPrefix(p, out[n-1]+string(filepath.Separator)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// addTree watches dir and every folder below it that a scan would walk.
func (t *Tree) addTree(dir string) error {
	visited := map[string]bool{}
	var first error
	var add func(string)
	add = func(d string) {
		real, err := filepath.EvalSymlinks(d)
		if err != nil || visited[real] {
			return
		}
		visited[real] = true
		if !t.dirs[d] {
			if err := t.add(d); err != nil {
				if first == nil {
					first = err
				}
				if errors.Is(err, errLimit) {
					t.unwatched++
				}
				// Below a folder without a watch nothing is seen either;
				// the fallback rescans them.
				return
			}
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			child := filepath.Join(d, e.Name())
			isDirEntry := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 && !t.cfg.Options.NoFollowSymlinks {
				isDirEntry = isDir(child)
			}
			if isDirEntry && !t.filter.Skip(child, true) {
				add(child)
			}
		}
	}
	add(dir)
	return first
}

var errLimit = errors.New("the system's limit of watched folders is reached")

func (t *Tree) add(d string) error {
	if t.cfg.maxWatches > 0 && len(t.dirs) >= t.cfg.maxWatches {
		return errLimit
	}
	if err := t.fsw.Add(d); err != nil {
		return limitError(err)
	}
	t.dirs[d] = true
	return nil
}

// limitError names the system's limit behind an error, when it is one.
func limitError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
		return fmt.Errorf("%w: %v", errLimit, err)
	}
	return err
}

// unwatch forgets the watches of a folder that went away and of every
// folder below it (a renamed folder keeps its watches under the old
// names otherwise).
func (t *Tree) unwatch(p string) {
	prefix := p + string(filepath.Separator)
	for d := range t.dirs {
		if d == p || strings.HasPrefix(d, prefix) {
			_ = t.fsw.Remove(d)
			delete(t.dirs, d)
		}
	}
}

func watchLimitMessage(unwatched int, every time.Duration) string {
	if runtime.GOOS != "linux" {
		return fmt.Sprintf("%d folders are not watched: the system's limit of open files is reached. Quarry rescans this folder every %v instead; raise the limit (ulimit -n) and restart Quarry to watch everything.", unwatched, every)
	}
	return fmt.Sprintf("%d folders are not watched: the system's limit of inotify watches (fs.inotify.max_user_watches = %s) is used up. "+
		"Quarry rescans this folder every %v instead. To watch everything, raise it: sudo sysctl fs.inotify.max_user_watches=524288 "+
		"(add the setting to /etc/sysctl.conf to keep it), then restart Quarry.", unwatched, sysctl("max_user_watches"), every)
}

func overflowMessage(at time.Time) string {
	if runtime.GOOS != "linux" {
		return fmt.Sprintf("Too many changes at once at %s: some were missed, so Quarry rescanned the folder.", at.Format("15:04"))
	}
	return fmt.Sprintf("Too many changes at once at %s: the system's event queue (fs.inotify.max_queued_events = %s) overflowed, "+
		"so Quarry rescanned the folder to catch up. If this happens often, raise it: sudo sysctl fs.inotify.max_queued_events=65536.",
		at.Format("15:04"), sysctl("max_queued_events"))
}

func sysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
