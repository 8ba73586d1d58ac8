package extract

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Archive formats, recognised by content; all are containers
// (container.go, container_more.go).

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

func tarProblem(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the archive is truncated"
	}
	return err.Error()
}

// readGzip reads a compressed tar as the list of what it holds and a lone
// gzip-compressed file as a container of one.
func readGzip(x *extraction) error {
	zr, err := gzip.NewReader(io.NewSectionReader(x.f, 0, x.size))
	if err != nil {
		return &Error{Kind: ErrCorrupt, Format: "gzip", Reason: fmt.Sprintf("corrupt gzip file: %v", err), Err: err}
	}
	zr.Close()
	return readListing(x)
}
