package extract

import (
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bodgit/sevenzip"
	"github.com/nwaples/rardecode/v2"
	"github.com/ulikunitz/xz"
)

// streamKind names the container kinds of a compression format: a
// compressed tar, and a lone compressed file.
type streamKind struct {
	tar, single string
	tarExts     []string // names a compressed tar goes by
	what        string   // for reasons
}

var streamKinds = map[string]streamKind{
	"gzip":  {"tgz", "gz", []string{".tgz", ".tar.gz"}, ".tar.gz archive"},
	"bzip2": {"tbz2", "bz2", []string{".tbz2", ".tbz", ".tar.bz2"}, ".tar.bz2 archive"},
	"xz":    {"txz", "xz", []string{".txz", ".tar.xz"}, ".tar.xz archive"},
}

// decompressor reads the compressed stream r of format.
func decompressor(format string, r io.Reader) (io.Reader, error) {
	switch format {
	case "gzip":
		return gzip.NewReader(r)
	case "bzip2":
		return bzip2.NewReader(r), nil
	case "xz":
		return xz.NewReader(r)
	}
	return nil, fmt.Errorf("not a compression format: %s", format)
}

// compressed walks a compressed tar, or passes on the one file a lone
// compressed stream holds (named after it, or as the gzip header says).
func (u *unpacker) compressed(f *os.File, format string, isTar bool) error {
	cr := &countingReader{r: f}
	zr, err := decompressor(format, cr)
	if err != nil {
		return &Error{Kind: ErrCorrupt, Format: format, Reason: fmt.Sprintf("corrupt %s file: %v", format, err), Err: err}
	}
	if c, ok := zr.(io.Closer); ok {
		defer c.Close()
	}
	if isTar {
		return u.tar(zr, streamKinds[format].what, func() int64 { return cr.n })
	}
	name := u.base
	if g, ok := zr.(*gzip.Reader); ok && g.Name != "" {
		name = g.Name
	}
	m := Member{Name: u.name(name)}
	if g, ok := zr.(*gzip.Reader); ok {
		m.Modified = g.ModTime
	}
	return u.member(m, zr, func(n int64) error {
		if n > ratioFloor && n > u.lim.MaxRatio*max(cr.n, 1) {
			return memberReason(bombReason(u.lim.MaxRatio))
		}
		return nil
	})
}

// streamCheck stops a container whose members together expand more than
// the ratio allows over the archive's size (solid archives compress many
// files as one stream, so no member's own ratio is known).
func (u *unpacker) streamCheck(size int64, before *int64) func(int64) error {
	return func(n int64) error {
		if all := *before + n; all > ratioFloor && all > u.lim.MaxRatio*max(size, 1) {
			return failf(ErrTooLarge, "unpacking stopped: it expands more than %d times its size, which is how decompression bombs work; %d %s before that were indexed",
				u.lim.MaxRatio, u.count-1, plural(u.count-1, "file", "files"))
		}
		return nil
	}
}

func (u *unpacker) sevenZip(f *os.File, size int64) error {
	zr, err := sevenzip.NewReader(f, size)
	if err != nil {
		var re *sevenzip.ReadError
		if errors.As(err, &re) && re.Encrypted {
			return failf(ErrEncrypted, "password-protected 7-Zip archive (its file list is encrypted)")
		}
		return &Error{Kind: ErrCorrupt, Format: "7z", Reason: "corrupt 7-Zip archive: " + tarProblem(err), Err: err}
	}
	var before int64
	check := u.streamCheck(size, &before)
	for _, zf := range zr.File {
		if !zf.FileInfo().Mode().IsRegular() || junk(zf.Name) {
			continue
		}
		m := Member{Name: u.name(zf.Name), Size: int64(zf.UncompressedSize), Modified: zf.Modified} //nolint:gosec // sizes past 2^63 fail the size limit
		if err := u.sevenZipMember(zf, m, check); err != nil {
			return err
		}
		before += m.Size
	}
	return nil
}

func (u *unpacker) sevenZipMember(zf *sevenzip.File, m Member, check func(int64) error) error {
	rc, err := zf.Open()
	if err != nil {
		var re *sevenzip.ReadError
		if m.Reason = "cannot be unpacked: " + err.Error(); errors.As(err, &re) && re.Encrypted {
			m.Reason = sevenZipLocked
		}
		return u.member(m, nil, nil)
	}
	defer rc.Close()
	return u.member(m, &sevenZipReader{r: rc}, check)
}

const sevenZipLocked = "password-protected file inside a 7-Zip archive; Quarry does not unpack encrypted members"

// sevenZipReader says that a member is encrypted in words.
type sevenZipReader struct{ r io.Reader }

func (s *sevenZipReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		err = memberReason(sevenZipLocked)
	}
	return n, err
}

func (u *unpacker) rar(f *os.File, size int64) error {
	rr, err := rardecode.NewReader(f)
	if err != nil {
		return rarError(err, 0)
	}
	var before int64
	check := u.streamCheck(size, &before)
	for {
		h, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return rarError(err, u.count)
		}
		if h.IsDir || !h.Mode().IsRegular() || junk(h.Name) {
			continue
		}
		m := Member{Name: u.name(h.Name), Size: h.UnPackedSize, Modified: h.ModificationTime}
		var r io.Reader = &rarReader{r: rr}
		if h.Encrypted {
			m.Reason, r = "password-protected file inside a RAR archive; Quarry does not unpack encrypted members", nil
		}
		if err := u.member(m, r, check); err != nil {
			return err
		}
		before += max(h.UnPackedSize, 0)
	}
}

// rarReader says what went wrong reading a member in words.
type rarReader struct{ r io.Reader }

func (r *rarReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	switch {
	case errors.Is(err, rardecode.ErrMultiVolume):
		err = memberReason("continues in the next part of a multi-part RAR archive; Quarry reads single-part archives")
	case errors.Is(err, rardecode.ErrArchivedFileEncrypted):
		err = memberReason("password-protected file inside a RAR archive; Quarry does not unpack encrypted members")
	}
	return n, err
}

func rarError(err error, indexed int) error {
	switch {
	case errors.Is(err, rardecode.ErrArchiveEncrypted):
		return failf(ErrEncrypted, "password-protected RAR archive (its file list is encrypted)")
	case errors.Is(err, rardecode.ErrMultiVolume):
		return failf(ErrUnsupported, "not supported: multi-part RAR archives; %d %s of this part were indexed", indexed, plural(indexed, "file", "files"))
	case indexed > 0:
		return &Error{Kind: ErrCorrupt, Format: "rar", Reason: fmt.Sprintf("corrupt RAR archive: %s after %d %s; those were indexed", tarProblem(err), indexed, plural(indexed, "file", "files")), Err: err}
	}
	return &Error{Kind: ErrCorrupt, Format: "rar", Reason: "corrupt RAR archive: " + strings.TrimPrefix(tarProblem(err), "rardecode: "), Err: err}
}
