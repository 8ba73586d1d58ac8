package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects what a tree reports.
type recorder struct {
	mu      sync.Mutex
	reports [][2][]string // changed, removed
	rescans []string
	states  []State
	signal  chan struct{}
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1000)} }

func (r *recorder) config(c Config) Config {
	c.Changed = func(changed, removed []string) {
		r.mu.Lock()
		r.reports = append(r.reports, [2][]string{slices.Clone(changed), slices.Clone(removed)})
		r.mu.Unlock()
		r.signal <- struct{}{}
	}
	c.Rescan = func(dir string) {
		r.mu.Lock()
		r.rescans = append(r.rescans, dir)
		r.mu.Unlock()
		r.signal <- struct{}{}
	}
	c.StateChanged = func(s State) {
		r.mu.Lock()
		r.states = append(r.states, s)
		r.mu.Unlock()
		r.signal <- struct{}{}
	}
	return c
}

func (r *recorder) take() (reports [][2][]string, rescans []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reports, rescans = r.reports, r.rescans
	r.reports, r.rescans = nil, nil
	return reports, rescans
}

// startTree runs a tree over dir until the test ends and waits until it
// watches.
func startTree(t *testing.T, dir string, c Config) (*Tree, *recorder) {
	t.Helper()
	rec := newRecorder()
	tree := NewTree(dir, rec.config(c))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tree.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	waitFor(t, "the tree to watch", func() bool {
		s := tree.State().State
		return s == Watching || s == Error
	})
	return tree, rec
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until the tree has been quiet for longer than its longest
// delay and returns what it reported.
func settle(t *testing.T, rec *recorder) ([][2][]string, []string) {
	t.Helper()
	quiet := time.NewTimer(1500 * time.Millisecond)
	defer quiet.Stop()
	for {
		select {
		case <-rec.signal:
			quiet.Reset(1500 * time.Millisecond)
		case <-quiet.C:
			return rec.take()
		}
	}
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestEditorSavePatterns: the ways editors save a file each come out as
// one change of that file — never a deletion, never their scratch files.
func TestEditorSavePatterns(t *testing.T) {
	patterns := map[string]func(t *testing.T, target string){
		"write in place": func(t *testing.T, target string) {
			write(t, target, "edited in place")
		},
		"truncate then write": func(t *testing.T, target string) {
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0o644)
			must(t, err)
			time.Sleep(30 * time.Millisecond)
			_, err = f.WriteString("rewritten after truncation")
			must(t, err)
			must(t, f.Close())
		},
		"temp file renamed over it (atomic replace)": func(t *testing.T, target string) {
			tmp := filepath.Join(filepath.Dir(target), ".notes.txt.tmp-4821")
			write(t, tmp, "replaced atomically")
			must(t, os.Rename(tmp, target))
		},
		"GNOME-style output stream": func(t *testing.T, target string) {
			tmp := filepath.Join(filepath.Dir(target), ".goutputstream-ABC123")
			write(t, tmp, "gedit saved this")
			must(t, os.Rename(tmp, target))
		},
		"vim: backup by rename, write anew, drop the backup": func(t *testing.T, target string) {
			dir := filepath.Dir(target)
			write(t, filepath.Join(dir, "4913"), "")
			must(t, os.Remove(filepath.Join(dir, "4913")))
			write(t, filepath.Join(dir, ".notes.txt.swp"), "swap")
			must(t, os.Rename(target, target+"~"))
			write(t, target, "vim wrote this")
			must(t, os.Remove(target+"~"))
			must(t, os.Remove(filepath.Join(dir, ".notes.txt.swp")))
		},
		"emacs: auto-save file, then write": func(t *testing.T, target string) {
			auto := filepath.Join(filepath.Dir(target), "#notes.txt#")
			write(t, auto, "autosave")
			write(t, target, "emacs wrote this")
			must(t, os.Remove(auto))
		},
		"Word: owner lock and temp file": func(t *testing.T, target string) {
			dir := filepath.Dir(target)
			write(t, filepath.Join(dir, "~$notes.txt"), "lock")
			write(t, filepath.Join(dir, "~WRL0001.tmp"), "temp")
			must(t, os.Rename(filepath.Join(dir, "~WRL0001.tmp"), filepath.Join(dir, "~WRL0002.tmp")))
			write(t, target, "word wrote this")
			must(t, os.Remove(filepath.Join(dir, "~WRL0002.tmp")))
			must(t, os.Remove(filepath.Join(dir, "~$notes.txt")))
		},
	}
	for name, save := range patterns {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			target := filepath.Join(dir, "notes.txt")
			write(t, target, "first version")
			_, rec := startTree(t, dir, Config{})
			save(t, target)
			reports, rescans := settle(t, rec)
			if len(rescans) != 0 {
				t.Errorf("rescans: %v", rescans)
			}
			if len(reports) != 1 || !slices.Equal(reports[0][0], []string{target}) || len(reports[0][1]) != 0 {
				t.Fatalf("reports = %v, want one change of %s", reports, target)
			}
		})
	}
}

// TestNewFoldersAndIgnoredPaths: a folder made after the watch started is
// watched too (a file written deep inside it later is seen); hidden,
// ignored and scratch paths are never reported.
func TestNewFoldersAndIgnoredPaths(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".gitignore"), "build/\n*.log\n")
	must(t, os.MkdirAll(filepath.Join(dir, "build"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, ".git"), 0o755))
	tree, rec := startTree(t, dir, Config{})

	for _, p := range []string{".git/index", "build/out.txt", "debug.log", "draft.txt~", ".hidden.txt", "~$report.docx", "song.mp3.part"} {
		write(t, filepath.Join(dir, p), "ignored")
	}
	if reports, _ := settle(t, rec); len(reports) != 0 {
		t.Fatalf("ignored paths were reported: %v", reports)
	}

	deep := filepath.Join(dir, "a", "b", "c")
	must(t, os.MkdirAll(deep, 0o755))
	write(t, filepath.Join(deep, "early.txt"), "written before the watch reached it, maybe")
	reports, _ := settle(t, rec)
	if len(reports) == 0 || !slices.Contains(reports[0][0], filepath.Join(dir, "a")) {
		t.Fatalf("a new folder tree: reports %v, want the folder %s", reports, filepath.Join(dir, "a"))
	}
	write(t, filepath.Join(deep, "later.txt"), "seen by the new watch")
	reports, _ = settle(t, rec)
	if len(reports) != 1 || !slices.Equal(reports[0][0], []string{filepath.Join(deep, "later.txt")}) {
		t.Fatalf("a file in a new folder: reports %v", reports)
	}
	if s := tree.State(); s.State != Watching || s.Message != "" {
		t.Errorf("state %+v", s)
	}
}

// TestRenameFolder: renaming a watched folder with 500 files is one report
// of the new name and the old one — not 1,000 file events — and the
// renamed folder stays watched under its new name.
func TestRenameFolder(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "projects", "alpha")
	for i := range 500 {
		write(t, filepath.Join(old, fmt.Sprintf("sub%d", i%5), fmt.Sprintf("f%03d.txt", i)), fmt.Sprint("file ", i))
	}
	_, rec := startTree(t, dir, Config{})
	renamed := filepath.Join(dir, "projects", "beta")
	must(t, os.Rename(old, renamed))
	reports, _ := settle(t, rec)
	var changed, removed []string
	for _, r := range reports {
		changed, removed = append(changed, r[0]...), append(removed, r[1]...)
	}
	if !slices.Equal(changed, []string{renamed}) || !slices.Equal(removed, []string{old}) {
		t.Fatalf("rename: changed %v removed %v (in %d reports)", changed, removed, len(reports))
	}
	write(t, filepath.Join(renamed, "sub3", "new.txt"), "after the rename")
	reports, _ = settle(t, rec)
	if len(reports) != 1 || !slices.Equal(reports[0][0], []string{filepath.Join(renamed, "sub3", "new.txt")}) {
		t.Fatalf("a file in the renamed folder: %v", reports)
	}
}

// TestBurstIsAggregated: 1,000 files dropped into a folder come out in a
// handful of reports, not a thousand.
func TestBurstIsAggregated(t *testing.T) {
	dir := t.TempDir()
	_, rec := startTree(t, dir, Config{})
	for i := range 1000 {
		write(t, filepath.Join(dir, "drop", fmt.Sprintf("n%04d.txt", i)), fmt.Sprint("note ", i))
	}
	reports, _ := settle(t, rec)
	if len(reports) > 3 {
		t.Errorf("1,000 files came in %d reports", len(reports))
	}
	if len(reports) == 0 || !slices.Contains(reports[0][0], filepath.Join(dir, "drop")) {
		t.Errorf("reports %v", reports)
	}
}

// TestOverflowRescans forces the kernel's event queue to overflow (the
// tree reads nothing while far more events than the queue holds happen):
// the tree rescans the whole folder and says which limit to raise.
func TestOverflowRescans(t *testing.T) {
	limit := 16384
	if b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events"); err == nil {
		fmt.Sscan(strings.TrimSpace(string(b)), &limit)
	}
	if limit > 200_000 {
		t.Skipf("max_queued_events is %d: too many events to force an overflow in a test", limit)
	}
	dir := t.TempDir()
	hold := make(chan struct{})
	rec := newRecorder()
	tree := NewTree(dir, rec.config(Config{hold: hold}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tree.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, "the tree to watch", func() bool { return tree.State().State == Watching })
	// Two events or more per file (create, delete), well past the queue even
	// after what fsnotify reads into its own buffer before it blocks.
	for i := range limit + 4096 {
		p := filepath.Join(dir, fmt.Sprintf("churn-%06d", i))
		f, err := os.Create(p)
		must(t, err)
		must(t, f.Close())
		must(t, os.Remove(p))
	}
	write(t, filepath.Join(dir, "survivor.txt"), "still here")
	close(hold)
	waitFor(t, "a rescan", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Contains(rec.rescans, dir)
	})
	s := tree.State()
	if s.State != Watching || !strings.Contains(s.Message, "max_queued_events") || !strings.Contains(s.Message, "sysctl") {
		t.Errorf("state after an overflow: %+v", s)
	}
}

// TestWatchLimit: when the system's limit of watches is used up, the
// state says so, names the limit and how to raise it, and the folder is
// rescanned on a timer instead.
func TestWatchLimit(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		must(t, os.MkdirAll(filepath.Join(dir, fmt.Sprint("d", i)), 0o755))
	}
	tree, rec := startTree(t, dir, Config{maxWatches: 3, FallbackRescan: 300 * time.Millisecond})
	s := tree.State()
	if s.State != Error || !strings.Contains(s.Message, "max_user_watches") || !strings.Contains(s.Message, "3 folders are not watched") {
		t.Fatalf("state with too few watches: %+v", s)
	}
	waitFor(t, "a fallback rescan", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Contains(rec.rescans, dir)
	})
}

// TestOfflineAndBack: a folder that goes away makes the tree offline
// without reporting its files as deleted; when it returns it is rescanned
// and watched again.
func TestOfflineAndBack(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "usb")
	write(t, filepath.Join(dir, "a.txt"), "on the stick")
	tree, rec := startTree(t, dir, Config{OfflineCheck: 50 * time.Millisecond})
	away := filepath.Join(parent, "usb-away")
	must(t, os.Rename(dir, away))
	waitFor(t, "offline", func() bool { return tree.State().State == Offline })
	reports, _ := settle(t, rec)
	for _, r := range reports {
		if len(r[1]) > 0 {
			t.Fatalf("a folder going away reported deletions: %v", reports)
		}
	}
	must(t, os.Rename(away, dir))
	waitFor(t, "watching again", func() bool { return tree.State().State == Watching })
	waitFor(t, "the rescan", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Contains(rec.rescans, dir)
	})
	write(t, filepath.Join(dir, "b.txt"), "after the return")
	reports, _ = settle(t, rec)
	if len(reports) != 1 || !slices.Equal(reports[0][0], []string{filepath.Join(dir, "b.txt")}) {
		t.Fatalf("after the return: %v", reports)
	}
}

func TestOutermost(t *testing.T) {
	got := outermost([]string{"/a/b/c", "/a/b", "/a/bc", "/x", "/a/b/d", "/x"})
	if want := []string{"/a/b", "/a/bc", "/x"}; !slices.Equal(got, want) {
		t.Errorf("outermost = %v, want %v", got, want)
	}
}
