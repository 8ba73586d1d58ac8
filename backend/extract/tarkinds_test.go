package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestArchivesSayWhatTheyAre(t *testing.T) {
	plain := tarOf(t, map[string]string{"a.txt": "alpha", "docs/b.txt": "beta"})
	bomb := make([]byte, 200<<20) // 200 MiB of zeros: a tar of nothing, compressed to ~200 KiB
	copy(bomb, tarOf(t, map[string]string{"zeros.bin": strings.Repeat("\x00", 1000)}))
	tests := []struct {
		name, file string
		data       []byte
		kind       error // nil: read as the list of what it holds
		want       string
	}{
		{"tar", "notes.tar", plain, nil, "Tar archive holding 2 files"},
		{"tgz", "notes.tgz", gz(t, plain), nil, "Compressed tar archive (.tar.gz) holding 2 files"},
		{"gzip of text", "notes.txt.gz", gz(t, []byte("just text")), nil, "Gzip-compressed file holding 1 file"},
		{"truncated tgz", "cut.tgz", gz(t, plain)[:40], ErrCorrupt, "corrupt .tar.gz archive: the archive is truncated"},
		{"bomb", "bomb.tgz", gz(t, bomb), nil, "holding 1 file"},
		{"damaged 7z", "x.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04rest"), ErrCorrupt, "corrupt 7-Zip archive"},
		{"damaged rar", "x.rar", []byte("Rar!\x1a\x07\x01\x00rest"), ErrCorrupt, "corrupt RAR archive: the archive is truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Extract(t.Context(), writeTemp(t, tt.file, tt.data), Options{})
			if tt.kind == nil {
				if err != nil || !strings.Contains(d.Text(), tt.want) {
					t.Fatalf("err = %v, text %q; want a listing with %q", err, d.Text(), tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(e.Kind, tt.kind) || !strings.Contains(e.Reason, tt.want) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.kind, tt.want)
			}
		})
	}
}
