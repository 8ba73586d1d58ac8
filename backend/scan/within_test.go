package scan

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFilterAgreesWithWalk: for every file of a tree with ignore files,
// negations, globs, hidden, scratch and system files, the filter a watch
// uses skips exactly the files a walk leaves out; WalkPaths over parts of
// the tree finds what the walk found there.
func TestFilterAgreesWithWalk(t *testing.T) {
	root := tree(t, map[string]string{
		"a.txt": "a", "b/c.md": "# c", "b/d/f.log": "log", ".hidden/x.txt": "x", "Thumbs.db": "t",
		"docs/~$lock.docx": "lock", "docs/report.txt": "r", "docs/report.txt~": "backup", "docs/#report.txt#": "autosave",
		"docs/~WRL0001.tmp": "word", "docs/4913": "", "dl/film.mkv.part": "partial",
		"build/out.txt": "out", "keep/build/keep.txt": "k", "node_modules/m/index.js": "js",
		"sub/.gitignore": "*.tmp\n!important.tmp\n", "sub/a.tmp": "tmp", "sub/important.tmp": "i", "sub/deep/z.tmp": "z",
		".gitignore": "*.log\n/build/\nnode_modules/\n", ".quarryignore": "secret/**\n", "secret/s.txt": "s",
	})
	for _, opts := range []Options{{}, {Include: []string{"**/*.txt"}}, {Exclude: []string{"b/**"}}, {IncludeHidden: true}} {
		walked := map[string]bool{}
		for _, f := range walk(t, root, opts).files {
			walked[f.Path] = true
		}
		filter := NewFilter(root, opts)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if skip := filter.Skip(p, false); skip == walked[p] {
				t.Errorf("options %+v: %s: filter skips=%v, walk found=%v", opts, p, skip, walked[p])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var parts []File
		missing, err := WalkPaths(t.Context(), root, []string{filepath.Join(root, "sub"), filepath.Join(root, "docs", "report.txt"),
			filepath.Join(root, "build", "out.txt"), filepath.Join(root, "gone.txt")}, opts, func(f File) error {
			parts = append(parts, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for p := range walked {
			if r, _ := filepath.Rel(root, p); filepath.Dir(r) == "sub" || filepath.Dir(filepath.Dir(r)) == "sub" || r == filepath.Join("docs", "report.txt") {
				want = append(want, filepath.ToSlash(r))
			}
		}
		slices.Sort(want)
		got := rels(parts)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("options %+v: WalkPaths found %q, want %q", opts, got, want)
		}
		// A path that is gone and one the rules leave out are both missing:
		// their documents leave the collection.
		wantMissing := []string{filepath.Join(root, "build", "out.txt"), filepath.Join(root, "gone.txt")}
		if !slices.Equal(missing, wantMissing) {
			t.Errorf("options %+v: missing %q, want %q", opts, missing, wantMissing)
		}
	}
}

func TestIsScratch(t *testing.T) {
	for name, want := range map[string]bool{
		"notes.txt~": true, "#notes.txt#": true, "4913": true, "~WRL0001.tmp": true, "x.swp": true, "film.mkv.part": true,
		"a.crdownload": true, "notes.txt": false, "#hashtag.md": false, "report.tmp": false, "4914": false, "#": false,
	} {
		if got := IsScratch(name); got != want {
			t.Errorf("IsScratch(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFilterForget(t *testing.T) {
	root := tree(t, map[string]string{"x/a.md": "a"})
	f := NewFilter(root, Options{})
	p := filepath.Join(root, "x", "a.md")
	if f.Skip(p, false) {
		t.Fatal("skipped before any rule")
	}
	if err := os.WriteFile(filepath.Join(root, "x", ".gitignore"), []byte("*.md\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f.Skip(p, false) {
		t.Fatal("the filter re-read its rules without being told")
	}
	f.Forget(filepath.Join(root, "x"))
	if !f.Skip(p, false) {
		t.Error("a new ignore rule was not applied after Forget")
	}
	if !f.Skip("/elsewhere/a.md", false) {
		t.Error("a path outside the root was not skipped")
	}
}
