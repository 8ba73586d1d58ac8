package extract

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/quarry-search/quarry/backend/testenv"
)

// A tar of a.txt ("alpha from a bzip2 archive") and docs/b.txt, and a lone
// note, compressed by bzip2 (the standard library only reads bzip2).
const (
	tarBz2  = "QlpoOTFBWSZTWWd0mkYAAJt7hcoAAEBAAf+AAQh/Zt9QAACIAAAIMAC4DDI000yMJkYJoDBhkaaaZGEyME0BgKqCBMEgZkg02U2KcaHJFJnEEaIIQg9HNWVscZKi9FCBJCMJPCTuqZGcdK1iC5EMs7RiYdalCc9GdLopWprE5T51WOy1QiYO+V+8lD6nJ1a8bM6Xx4cMHzya3ISPLak2e7+XbrHCLzq3cMHZ0XoQP8XckU4UJBndJpGA"
	loneBz2 = "QlpoOTFBWSZTWedb7SkAAAIZgEAAEAAyJcQQIAAijZEyfqhA0DQaWJ34RwkZ8XckU4UJDnW+0pA="
)

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func xzOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := xz.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestCompressedStreams: .tar.bz2 and .tar.xz archives hold documents; a
// lone .bz2 or .xz file holds one, named after it; a damaged one says so.
func TestCompressedStreams(t *testing.T) {
	plain := tarOf(t, map[string]string{"a.txt": "alpha from an xz archive", "docs/b.txt": "beta from an xz archive"})
	tests := []struct {
		file string
		data []byte
		want map[string]string
	}{
		{"notes.tar.bz2", unb64(t, tarBz2), map[string]string{"a.txt": "alpha from a bzip2 archive", "docs/b.txt": "beta from a bzip2 archive"}},
		{"notes.tbz2", unb64(t, tarBz2), map[string]string{"a.txt": "alpha from a bzip2 archive", "docs/b.txt": "beta from a bzip2 archive"}},
		{"note.txt.bz2", unb64(t, loneBz2), map[string]string{"note.txt": "a lone bzip2 note"}},
		{"notes.tar.xz", xzOf(t, plain), map[string]string{"a.txt": "alpha from an xz archive", "docs/b.txt": "beta from an xz archive"}},
		{"note.md.xz", xzOf(t, []byte("# Heading\n\nan xz note")), map[string]string{"note.md": "an xz note"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := writeTemp(t, tt.file, tt.data)
			d, err := Extract(t.Context(), p, Options{})
			if err != nil || !strings.Contains(d.Text(), "holding") {
				t.Fatalf("listing: %v, %v", d, err)
			}
			got, err := walkAll(t, p, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("members %v, want %v", got, tt.want)
			}
			for name, phrase := range tt.want {
				if w := got[JoinMember(tt.file, name)]; !strings.Contains(w.text, phrase) {
					t.Errorf("%s: %+v, want %q", name, w, phrase)
				}
			}
		})
	}
	cut := xzOf(t, plain)
	if _, err := walkAll(t, writeTemp(t, "cut.tar.xz", cut[:len(cut)/2]), Limits{}); err == nil || !strings.Contains(Reason(err), "corrupt .tar.xz archive") {
		t.Errorf("truncated .tar.xz: %v", err)
	}
}

// moduleTestdata is a file of a dependency's own test data, from the Go
// module cache the build filled.
func moduleTestdata(t *testing.T, module, rel string) string {
	t.Helper()
	// The version this module requires, from its go.mod.
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	version := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == module {
			version = f[1]
		}
	}
	var roots []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		roots = append(roots, c)
	}
	if g := os.Getenv("GOPATH"); g != "" {
		roots = append(roots, filepath.Join(strings.Split(g, string(os.PathListSeparator))[0], "pkg", "mod"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(h, "go", "pkg", "mod"))
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	for _, r := range roots {
		p := filepath.Join(r, module+"@"+version, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testenv.Missing(t, "%s@%s %s in the module cache (%v)", module, version, rel, roots)
	return ""
}

// TestSevenZipAndRAR reads real 7-Zip and RAR archives (test data of the
// libraries that read them, and of a MIME sniffer): members with text, and
// password-protected ones failing as such.
func TestSevenZipAndRAR(t *testing.T) {
	const sz = "github.com/bodgit/sevenzip"
	lzma2 := moduleTestdata(t, sz, "testdata/lzma2.7z")
	got, err := walkAll(t, lzma2, Limits{})
	if err != nil || len(got) == 0 {
		t.Fatalf("lzma2.7z: %v, %v", got, err)
	}
	for name, w := range got {
		if w.reason != "" || w.text == "" {
			t.Errorf("%s: %+v", name, w)
		}
	}
	if d, err := Extract(t.Context(), lzma2, Options{}); err != nil || !strings.Contains(d.Text(), "7-Zip archive holding") {
		t.Errorf("listing: %v", err)
	}
	got, err = walkAll(t, moduleTestdata(t, sz, "testdata/t4.7z"), Limits{})
	if err != nil || len(got) == 0 {
		t.Fatalf("t4.7z: %v, %v", got, err)
	}
	for name, w := range got {
		if !strings.Contains(w.reason, "password-protected file inside a 7-Zip archive") {
			t.Errorf("%s: %+v, want password-protected", name, w)
		}
	}
	if _, err := walkAll(t, moduleTestdata(t, sz, "testdata/aes7z.7z"), Limits{}); !strings.Contains(Reason(err), "password-protected 7-Zip archive") {
		t.Errorf("aes7z.7z: %v", err)
	}

	rar := moduleTestdata(t, "github.com/wailsapp/mimetype", "testdata/rar.rar")
	got, err = walkAll(t, rar, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if w := got["rar.rar › asd.go"]; w.text == "" {
		t.Errorf("rar.rar: %v", got)
	}
	if _, err := walkAll(t, writeTemp(t, "x.rar", []byte("Rar!\x1a\x07\x01\x00rest")), Limits{}); !strings.Contains(Reason(err), "corrupt RAR archive") {
		t.Errorf("damaged RAR: %v", err)
	}
}
