package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/testenv"
)

// tree creates files (path → content) under a temp dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type result struct {
	files  []File
	errors map[string]error
}

func walk(t *testing.T, root string, opts Options) result {
	t.Helper()
	res := result{errors: map[string]error{}}
	opts.OnError = func(p string, err error) {
		rel, _ := filepath.Rel(root, p)
		res.errors[filepath.ToSlash(rel)] = err
	}
	err := Walk(t.Context(), root, opts, func(f File) error {
		res.files = append(res.files, f)
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return res
}

func rels(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Rel)
	}
	return out
}

func TestWalkFilters(t *testing.T) {
	files := map[string]string{
		"a.txt":                   "a",
		"b/c.md":                  "# c",
		"b/d/e.pdf":               "%PDF-1.4 fake",
		"b/d/f.log":               "log",
		".hidden/x.txt":           "x",
		".env":                    "SECRET=1",
		"Thumbs.db":               "thumbs",
		"docs/~$lock.docx":        "lock",
		"docs/desktop.ini":        "ini",
		"docs/report.txt":         "report",
		"build/out.txt":           "out",
		"keep/build/keep.txt":     "anchored pattern must not match here",
		"node_modules/m/index.js": "js",
		"sub/.gitignore":          "*.tmp\n!important.tmp\n",
		"sub/a.tmp":               "tmp",
		"sub/important.tmp":       "important",
		"sub/deep/z.tmp":          "tmp",
		".gitignore":              "# comment\n*.log\n/build/\nnode_modules/\n",
		".quarryignore":           "secret/**\n",
		"secret/s.txt":            "s",
	}
	root := tree(t, files)
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{}, []string{"a.txt", "b/c.md", "b/d/e.pdf", "docs/report.txt", "keep/build/keep.txt", "sub/important.tmp"}},
		{"include", Options{Include: []string{"**/*.md", "**/*.pdf"}}, []string{"b/c.md", "b/d/e.pdf"}},
		{"exclude dir", Options{Exclude: []string{"b/**", "keep"}}, []string{"a.txt", "docs/report.txt", "sub/important.tmp"}},
		{"no ignore files", Options{NoIgnoreFiles: true, Exclude: []string{"**/*.tmp"}}, []string{"a.txt", "b/c.md", "b/d/e.pdf", "b/d/f.log", "build/out.txt", "docs/report.txt", "keep/build/keep.txt", "node_modules/m/index.js", "secret/s.txt"}},
		{"hidden", Options{IncludeHidden: true, Include: []string{"**/*.txt", ".env", "**/*.ini"}}, []string{".hidden/x.txt", ".env", "a.txt", "docs/desktop.ini", "docs/report.txt", "keep/build/keep.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rels(walk(t, root, tt.opts).files)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestWalkOrderStable(t *testing.T) {
	root := tree(t, map[string]string{"z.txt": "z", "a/b.txt": "b", "B.txt": "B", "a.txt": "a", "a/a.txt": "a"})
	got := rels(walk(t, root, Options{}).files)
	want := []string{"B.txt", "a/a.txt", "a/b.txt", "a.txt", "z.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestWalkMetadata(t *testing.T) {
	root := tree(t, map[string]string{
		"one/report.txt": "same content",
		"two/copy.txt":   "same content",
		"other.txt":      "different",
		"image.dat":      "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"misnamed.txt":   "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
		"big.txt":        strings.Repeat("x", 2000),
	})
	res := walk(t, root, Options{MaxFileSize: 1000})
	by := map[string]File{}
	for _, f := range res.files {
		by[f.Rel] = f
	}
	if by["one/report.txt"].SHA256 != by["two/copy.txt"].SHA256 || by["one/report.txt"].SHA256 == "" {
		t.Errorf("identical content, hashes %q and %q", by["one/report.txt"].SHA256, by["two/copy.txt"].SHA256)
	}
	if by["other.txt"].SHA256 == by["one/report.txt"].SHA256 {
		t.Error("different content, same hash")
	}
	h, err := Hash(filepath.Join(root, "one", "report.txt"))
	if err != nil || h != by["one/report.txt"].SHA256 {
		t.Errorf("Hash = %q, %v; walk hash %q", h, err, by["one/report.txt"].SHA256)
	}
	if sum := sha256.Sum256([]byte("same content")); h != hex.EncodeToString(sum[:]) {
		t.Errorf("hash %q, want sha256 of the content", h)
	}
	for rel, want := range map[string]string{"image.dat": "image/png", "misnamed.txt": "application/pdf", "other.txt": "text/plain"} {
		if got := by[rel].MIME; !strings.HasPrefix(got, want) {
			t.Errorf("%s: mime %q, want %q", rel, got, want)
		}
	}
	if f := by["other.txt"]; f.Size != int64(len("different")) || f.ModTime.IsZero() {
		t.Errorf("other.txt: size %d mtime %v", f.Size, f.ModTime)
	}
	if _, ok := by["big.txt"]; ok {
		t.Error("file over the size limit was reported")
	}
	if err := res.errors["big.txt"]; !errors.Is(err, ErrTooLarge) {
		t.Errorf("big.txt: error %v, want ErrTooLarge", err)
	}
}

func TestWalkSymlinks(t *testing.T) {
	root := tree(t, map[string]string{"dir/file.txt": "f", "target.txt": "t"})
	links := map[string]string{
		"dir/loop":     "..",          // loop back to an ancestor
		"dir/self":     ".",           // loop to itself
		"link.txt":     "target.txt",  // file link
		"dangling.txt": "missing.txt", // broken link
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10e9)
	defer cancel()
	res := result{errors: map[string]error{}}
	err := Walk(ctx, root, Options{OnError: func(p string, err error) {
		rel, _ := filepath.Rel(root, p)
		res.errors[filepath.ToSlash(rel)] = err
	}}, func(f File) error { res.files = append(res.files, f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	got := rels(res.files)
	want := []string{"dir/file.txt", "link.txt", "target.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	for _, p := range []string{"dir/loop", "dir/self"} {
		if !errors.Is(res.errors[p], ErrSymlinkLoop) {
			t.Errorf("%s: error %v, want ErrSymlinkLoop", p, res.errors[p])
		}
	}
	if res.errors["dangling.txt"] == nil {
		t.Error("dangling link not reported")
	}
	none := rels(walk(t, root, Options{NoFollowSymlinks: true}).files)
	if !slices.Equal(none, []string{"dir/file.txt", "target.txt"}) {
		t.Errorf("without following links: %q", none)
	}
}

func TestWalkPermissionDenied(t *testing.T) {
	root := tree(t, map[string]string{"locked/secret.txt": "s", "open/ok.txt": "ok", "unreadable.txt": "u"})
	locked := filepath.Join(root, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	if err := os.Chmod(filepath.Join(root, "unreadable.txt"), 0); err != nil {
		t.Fatal(err)
	}
	// As root, the walk runs as nobody so that permissions apply.
	var res result
	if !testenv.Unprivileged(t, root, func() { res = walk(t, root, Options{}) }) {
		t.Fatal("cannot drop privileges to produce permission errors")
	}
	if got := rels(res.files); !slices.Equal(got, []string{"open/ok.txt"}) {
		t.Errorf("files %q, want only open/ok.txt", got)
	}
	for _, p := range []string{"locked", "unreadable.txt"} {
		if !errors.Is(res.errors[p], os.ErrPermission) {
			t.Errorf("%s: error %v, want permission denied", p, res.errors[p])
		}
	}
}

func TestWalkCancel(t *testing.T) {
	root := tree(t, map[string]string{"a.txt": "a", "b.txt": "b"})
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := Walk(ctx, root, Options{}, func(File) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("err %v after %d files, want context.Canceled after 1", err, n)
	}
	stop := errors.New("stop")
	if err := Walk(t.Context(), root, Options{}, func(File) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error not returned: %v", err)
	}
	if err := Walk(t.Context(), root, Options{Include: []string{"[a-"}}, func(File) error { return nil }); err == nil {
		t.Error("invalid pattern accepted")
	}
}

func TestParseIgnore(t *testing.T) {
	rules := parseIgnore("*.o\n!keep.o\ndocs/*.md\n/root.txt\nlogs/\n\\#notcomment\n", "")
	tests := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"a.o", false, true},
		{"x/y/b.o", false, true},
		{"x/keep.o", false, false},
		{"docs/a.md", false, true},
		{"docs/sub/a.md", false, false},
		{"root.txt", false, true},
		{"sub/root.txt", false, false},
		{"logs", true, true},
		{"logs", false, false},
		{"a/logs", true, true},
		{"#notcomment", false, true},
	}
	for _, tt := range tests {
		if got := ignored(rules, tt.path, tt.isDir); got != tt.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", tt.path, tt.isDir, got, tt.want)
		}
	}
}

func TestKeeps(t *testing.T) {
	o := Options{Exclude: []string{"**/*.log", "build/**"}}
	for rel, want := range map[string]bool{
		"notes.txt": true, "a/b.txt": true, "a.zip › docs/b.txt": true,
		"a.zip › logs/app.log": false, "build/x.txt": false, ".git/config": false,
		"a.zip › .git/config": false, "a.zip › dir/~$report.docx": false,
	} {
		if got := o.Keeps(rel); got != want {
			t.Errorf("Keeps(%q) = %v, want %v", rel, got, want)
		}
	}
	if !(Options{IncludeHidden: true}).Keeps("a.zip › .git/config") {
		t.Error("hidden files are kept when asked for")
	}
	if (Options{Include: []string{"**/*.pdf"}}).Keeps("a.zip › b.txt") {
		t.Error("include patterns hold inside archives")
	}
}
