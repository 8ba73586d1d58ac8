package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Archive formats Quarry recognises but does not open yet: each says what
// it is, and how much it holds where that is cheap to learn.

// maxArchiveScan bounds the bytes unpacked to count a compressed tar's
// members (a decompression bomb is not unpacked to the end).
const maxArchiveScan = 64 << 20

// maxArchiveMembers bounds the members counted.
const maxArchiveMembers = 100_000

// sniffArchive recognises tar, gzip, bzip2, xz, 7z and RAR by content.
func sniffArchive(head []byte) string {
	switch {
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return "tar"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return "bzip2"
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return "xz"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z"
	case bytes.HasPrefix(head, []byte("Rar!\x1a\x07")):
		return "rar"
	}
	return ""
}

func readTar(x *extraction) error {
	n, more, err := countTar(io.NewSectionReader(x.f, 0, x.size))
	if err != nil {
		return &Error{Kind: ErrCorrupt, Format: "tar", Reason: fmt.Sprintf("corrupt tar archive: %s", tarProblem(err)), Err: err}
	}
	return failf(ErrUnsupported, "tar archives are not indexed yet (%s inside); unpack it into the folder", members(n, more))
}

func readGzip(x *extraction) error {
	zr, err := gzip.NewReader(io.NewSectionReader(x.f, 0, x.size))
	if err != nil {
		return &Error{Kind: ErrCorrupt, Format: "gzip", Reason: fmt.Sprintf("corrupt gzip file: %v", err), Err: err}
	}
	defer zr.Close()
	inner := io.LimitReader(zr, maxArchiveScan)
	var block [512]byte
	k := 0
	for k < len(block) {
		m, err := inner.Read(block[k:])
		k += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &Error{Kind: ErrCorrupt, Format: "gzip", Reason: fmt.Sprintf("corrupt gzip file: %s", tarProblem(err)), Err: err}
		}
	}
	if sniffArchive(block[:k]) != "tar" {
		return failf(ErrUnsupported, "gzip-compressed files are not indexed yet; uncompress it into the folder")
	}
	n, more, err := countTar(io.MultiReader(bytes.NewReader(block[:k]), inner))
	if err != nil {
		return &Error{Kind: ErrCorrupt, Format: "tgz", Reason: fmt.Sprintf("corrupt .tar.gz archive: %s", tarProblem(err)), Err: err}
	}
	return failf(ErrUnsupported, "compressed tar archives (.tar.gz) are not indexed yet (%s inside); unpack it into the folder", members(n, more))
}

func readOtherArchive(format string) readerFunc {
	names := map[string]string{"bzip2": "bzip2-compressed files", "xz": "xz-compressed files", "7z": "7-Zip archives", "rar": "RAR archives"}
	return func(*extraction) error {
		return failf(ErrUnsupported, "not supported: %s; unpack it into the folder", names[format])
	}
}

// countTar counts regular files; more is set when it stopped counting
// (too many members, or the unpacking cap was reached).
func countTar(r io.Reader) (n int, more bool, err error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return n, false, nil
		case errors.Is(err, io.ErrUnexpectedEOF) && n > 0:
			// The unpacking cap (or a truncated tail) ended the count.
			return n, true, nil
		case err != nil:
			return n, false, err
		}
		if h.Typeflag == tar.TypeReg {
			n++
		}
		if n >= maxArchiveMembers {
			return n, true, nil
		}
	}
}

func tarProblem(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the archive is truncated"
	}
	return err.Error()
}

func members(n int, more bool) string {
	s := fmt.Sprintf("%d %s", n, plural(n, "file", "files"))
	if more {
		s = "at least " + s
	}
	return s
}
