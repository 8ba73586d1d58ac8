package models

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies the regular files under src into dst (a test's way of
// making a user's folder out of a shared one).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// gloveFolder is a user's folder holding a real GloVe table and clutter.
func gloveFolder(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	copyTree(t, sharedModel(t, "glove-6b-100d-top100k"), src)
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("not part of the model"), 0o644)
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "shadow"), []byte("root:x:0:0"), 0o600)
	return src
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestImportCopiesOnlyTheModelsFiles(t *testing.T) {
	glove, _ := Lookup("glove-6b-100d")
	src := gloveFolder(t)
	dst := filepath.Join(t.TempDir(), "glove-6b-100d")
	man, err := ImportFolders(t.Context(), glove, "", []string{src}, dst, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(listFiles(t, dst), ",")
	if got != "quarry-model.json,vectors.f16,words.txt" || len(man.Files) != 2 {
		t.Errorf("imported %s (manifest %d files), want the table and the manifest only", got, len(man.Files))
	}
}

func TestImportRefusesAFolderThatIsNotTheModel(t *testing.T) {
	glove, _ := Lookup("glove-6b-100d")
	root := t.TempDir()
	dst := filepath.Join(root, "models", "glove-6b-100d")
	// What is installed already must survive a refused import.
	if _, err := ImportFolders(t.Context(), glove, "", []string{gloveFolder(t)}, dst, false, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dst, ManifestName))

	// A system folder: files that are no model's.
	etc := t.TempDir()
	os.WriteFile(filepath.Join(etc, "shadow"), []byte("root:$6$secret"), 0o600)
	os.WriteFile(filepath.Join(etc, "hosts"), []byte("127.0.0.1 localhost"), 0o644)
	os.WriteFile(filepath.Join(etc, ManifestName), []byte(`{"name":"evil"}`), 0o644)
	_, err := ImportFolders(t.Context(), glove, "", []string{etc}, dst, false, nil)
	if !errors.Is(err, ErrFileMissing) || !strings.Contains(err.Error(), "words.txt + vectors.f16") {
		t.Fatalf("import of a non-model folder: err = %v, want ErrFileMissing naming the table files", err)
	}
	mini, _ := Lookup("all-MiniLM-L6-v2")
	_, err = ImportFolders(t.Context(), mini, "", []string{etc}, filepath.Join(root, "models", "mini"), false, nil)
	if !errors.Is(err, ErrFileMissing) || !strings.Contains(err.Error(), "tokenizer.json") || !strings.Contains(err.Error(), "model.onnx") {
		t.Fatalf("transformer import of a non-model folder: err = %v, want every missing file listed", err)
	}
	after, _ := os.ReadFile(filepath.Join(dst, ManifestName))
	if string(before) != string(after) {
		t.Error("a refused import changed the installed model's manifest")
	}
	if _, err := os.Stat(filepath.Join(root, "models", "mini")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused import left a model folder behind")
	}
	entries, _ := os.ReadDir(filepath.Join(root, "models"))
	if len(entries) != 1 {
		t.Errorf("models folder holds %d entries after refused imports, want 1", len(entries))
	}
}

func TestImportDoesNotFollowLinksOutOfTheFolder(t *testing.T) {
	glove, _ := Lookup("glove-6b-100d")
	outside := gloveFolder(t)
	src := t.TempDir()
	// Links that lead out of the folder are as good as absent.
	for _, name := range []string{"words.txt", "vectors.f16"} {
		if err := os.Symlink(filepath.Join(outside, name), filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ImportFolders(t.Context(), glove, "", []string{src}, filepath.Join(t.TempDir(), "g"), false, nil); !errors.Is(err, ErrFileMissing) {
		t.Errorf("links out of the folder: err = %v, want ErrFileMissing", err)
	}
	// A link inside the folder is followed.
	in := gloveFolder(t)
	os.Rename(filepath.Join(in, "words.txt"), filepath.Join(in, "sub", "words.txt"))
	os.Symlink(filepath.Join(in, "sub", "words.txt"), filepath.Join(in, "words.txt"))
	if _, err := ImportFolders(t.Context(), glove, "", []string{in}, filepath.Join(t.TempDir(), "g"), false, nil); err != nil {
		t.Errorf("link inside the folder: %v", err)
	}
}

func TestImportFromSeveralFolders(t *testing.T) {
	glove, _ := Lookup("glove-6b-100d")
	a, b := t.TempDir(), t.TempDir()
	full := gloveFolder(t)
	os.Rename(filepath.Join(full, "words.txt"), filepath.Join(a, "words.txt"))
	os.Rename(filepath.Join(full, "vectors.f16"), filepath.Join(b, "vectors.f16"))
	dst := filepath.Join(t.TempDir(), "g")
	if _, err := ImportFolders(t.Context(), glove, "", []string{a, b}, dst, false, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listFiles(t, dst), ","); got != "quarry-model.json,vectors.f16,words.txt" {
		t.Errorf("imported %s", got)
	}
}

func TestSizeCap(t *testing.T) {
	if got := sizeCap(File{Path: "tokenizer.json"}); got != maxOtherSize {
		t.Errorf("tokenizer cap = %d", got)
	}
	if got := sizeCap(File{Path: "onnx/model.onnx"}); got != maxWeightsSize {
		t.Errorf("weights cap = %d", got)
	}
	if got := sizeCap(File{Path: "vocab.txt", Size: 10}); got != 10 {
		t.Errorf("pinned cap = %d", got)
	}
	// A pinned file larger than its pin is refused before it is copied.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte("0123456789abc"), 0o644)
	_, err := copyVerified(t.Context(), filepath.Join(dir, "vocab.txt"), filepath.Join(dir, "out"), File{Path: "vocab.txt", Size: 10}, func(int64, int64) {})
	if !errors.Is(err, ErrChecksum) {
		t.Errorf("oversized pinned file: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Error("oversized file was copied")
	}
}
