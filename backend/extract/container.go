package extract

import (
	"archive/tar"
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Containers: zip, 7-Zip, RAR and tar archives (also gzip-, bzip2- or
// xz-compressed), a lone compressed file, and e-mails (.eml, .mbox,
// .msg) hold files of their own. Each member is a document with a path like
//
//	/home/ann/old/archive.zip › folder/report.pdf
//
// and nested members chain: archive.zip › inner.tgz › notes.txt. The
// container itself is a document too: an archive's text is the list of
// what it holds, an e-mail's its message.

// MemberSep joins a container's path and the name of a member inside it.
const MemberSep = " › "

// IsMember reports whether a document path names a file inside a
// container.
func IsMember(p string) bool { return strings.Contains(p, MemberSep) }

// JoinMember is the document path of member name inside container.
func JoinMember(container, name string) string { return container + MemberSep + name }

// SplitMember splits a document path into the file on disk and the chain
// of member names leading to the document (nil for a plain file).
func SplitMember(p string) (file string, chain []string) {
	parts := strings.Split(p, MemberSep)
	return parts[0], parts[1:]
}

// MemberBase is the file name a document path ends in.
func MemberBase(p string) string {
	_, chain := SplitMember(p)
	if len(chain) == 0 {
		return filepath.Base(p)
	}
	return path.Base(chain[len(chain)-1])
}

// Limits bound unpacking containers, against archives made to exhaust
// memory or disk (decompression bombs). The zero value takes defaults.
type Limits struct {
	// MaxMembers is the most files unpacked from one container (10,000).
	MaxMembers int
	// MaxTotal bounds the bytes unpacked from one container (1 GiB);
	// MaxMember one member (256 MiB, the file size limit).
	MaxTotal, MaxMember int64
	// MaxRatio is the most a member may expand relative to its
	// compressed size (100×), checked once it passes 1 MiB.
	MaxRatio int64
	// MaxDepth is how deep archives inside archives are unpacked (3).
	MaxDepth int
}

// ratioFloor is the size below which expansion ratios are not checked:
// small repetitive files compress very well and harm nobody.
const ratioFloor = 1 << 20

// WithDefaults fills in the zero fields.
func (l Limits) WithDefaults() Limits {
	if l.MaxMembers <= 0 {
		l.MaxMembers = 10_000
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = 1 << 30
	}
	if l.MaxMember <= 0 {
		l.MaxMember = 256 << 20
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 100
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 3
	}
	return l
}

// Member is one file inside a container.
type Member struct {
	// Name is the member's path inside the container, "/"-separated;
	// unique within it.
	Name     string
	Size     int64 // uncompressed size as the container declares it
	Modified time.Time
	// Reason is set when the member is not unpacked (too large,
	// password-protected, a limit reached): the reason to show for it.
	Reason string
}

// containerExts are the extensions of files that may be containers; a
// file with none may be a saved e-mail or mailbox.
var containerExts = map[string]bool{".zip": true, ".tar": true, ".tgz": true, ".gz": true, ".tbz2": true, ".tbz": true, ".bz2": true,
	".txz": true, ".xz": true, ".7z": true, ".rar": true, ".eml": true, ".mbox": true, ".mbx": true, ".msg": true, "": true}

// MayContain tells from its name alone whether a file may be a container,
// so that walking a folder opens only those to look.
func MayContain(p string) bool { return containerExts[strings.ToLower(filepath.Ext(p))] }

// Container says which kind of container the file at p is ("zip", "tar",
// "tgz", "gz", "tbz2", "bz2", "txz", "xz", "7z", "rar", "eml", "mbox",
// "msg"), or "" for a file that holds no members. Document formats built
// on zip (.docx, .epub, ...) are not containers.
func Container(p string) string {
	c, err := openContainer(p)
	if err != nil {
		return ""
	}
	c.f.Close()
	return c.kind
}

// ErrNotContainer is what Unpack and WalkMembers return for a file that
// holds no members.
var ErrNotContainer = errors.New("not an archive or e-mail")

// container is an open file and what it was found to be.
type container struct {
	f            *os.File
	size         int64
	format, kind string
}

// openContainer opens p and tells its format and container kind; a file
// that is no container is ErrNotContainer (and is closed).
func openContainer(p string) (container, error) {
	f, err := os.Open(p)
	if err != nil {
		return container{}, fmt.Errorf("unpack %s: %w", p, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		f.Close()
		if err == nil {
			err = ErrNotContainer
		}
		return container{}, err
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	c := container{f: f, size: fi.Size()}
	c.format, _ = detect(f, c.size, head[:n], p)
	if c.kind = containerKind(f, c.format, p); c.kind == "" {
		f.Close()
		return container{}, ErrNotContainer
	}
	return c, nil
}

func containerKind(f *os.File, format, p string) string {
	switch format {
	case "zip":
		if _, isDoc := zipDocExts[strings.ToLower(filepath.Ext(p))]; isDoc {
			return ""
		}
		return "zip"
	case "tar", "eml", "mbox", "msg":
		return format
	case "mhtml":
		return "" // a saved web page: its parts are the page
	case "gzip", "bzip2", "xz":
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return ""
		}
		zr, err := decompressor(format, f)
		if err != nil {
			return ""
		}
		var block [512]byte
		n, err := io.ReadFull(zr, block[:])
		if c, ok := zr.(io.Closer); ok {
			c.Close()
		}
		tarName := false
		lower := strings.ToLower(p)
		for _, ext := range streamKinds[format].tarExts {
			tarName = tarName || strings.HasSuffix(lower, ext)
		}
		if sniffArchive(block[:n]) == "tar" || (err != nil && !errors.Is(err, io.EOF) && tarName) {
			// A damaged stream is what its name says, so that the
			// damage is reported for that.
			return streamKinds[format].tar
		}
		return streamKinds[format].single
	case "7z", "rar":
		return format
	}
	return ""
}

// Unpack writes the members of the container at p into dir (which must
// exist) and calls fn with each and the file it was written to. A member
// with Reason set, or one skip says not to write (already indexed,
// unchanged), is passed with local "". Unpack returns an *Error when the
// container cannot be read or a limit stopped it part way; fn has been
// called for the members before that.
func Unpack(ctx context.Context, p, dir string, lim Limits, skip func(Member) bool, fn func(m Member, local string) error) error {
	return unpack(ctx, p, dir, lim.WithDefaults(), new(int64), skip, fn)
}

// unpack is Unpack with the unpacked-bytes budget shared across nested
// containers.
func unpack(ctx context.Context, p, dir string, lim Limits, total *int64, skip func(Member) bool, fn func(m Member, local string) error) error {
	c, err := openContainer(p)
	if err != nil {
		return err
	}
	defer c.f.Close()
	return unpackOpen(ctx, c, p, dir, lim, total, skip, fn)
}

// unpackOpen unpacks an open container.
func unpackOpen(ctx context.Context, c container, p, dir string, lim Limits, total *int64, skip func(Member) bool, fn func(m Member, local string) error) (err error) {
	// A reader tripped by a hostile archive fails that archive, not the
	// app.
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Kind: ErrCorrupt, Reason: fmt.Sprintf("malformed archive: %v", r)}
		}
	}()
	f := c.f
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("unpack %s: %w", p, err)
	}
	u := &unpacker{ctx: ctx, dir: dir, lim: lim, total: total, skip: skip, fn: fn, names: map[string]int{}, base: strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))}
	switch c.kind {
	case "zip":
		err = u.zip(f, c.size)
	case "tar":
		err = u.tar(f, "tar archive", nil)
	case "tgz", "gz", "tbz2", "bz2", "txz", "xz":
		err = u.compressed(f, c.format, c.kind == streamKinds[c.format].tar)
	case "7z":
		err = u.sevenZip(f, c.size)
	case "rar":
		err = u.rar(f, c.size)
	case "eml":
		err = u.mail(f, false)
	case "mbox":
		err = u.mail(f, true)
	case "msg":
		err = u.msg(f)
	default:
		return ErrNotContainer
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// errStop ends a walk early without an error (a member was found).
var errStop = errors.New("stop")

// unpacker is the state of one Unpack call.
type unpacker struct {
	ctx   context.Context
	dir   string
	lim   Limits
	skip  func(Member) bool
	fn    func(Member, string) error
	names map[string]int // for unique names
	base  string         // the container's name without extension
	count int
	total *int64 // bytes unpacked, shared with nested containers
	seq   int
}

// name makes a member name fit for a document path and unique.
func (u *unpacker) name(raw string) string {
	n := strings.ReplaceAll(raw, "\\", "/")
	n = strings.ReplaceAll(n, strings.TrimSpace(MemberSep), ">")
	var parts []string
	for _, s := range strings.Split(n, "/") {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, strings.TrimSpace(s))
		if s != "" && s != "." && s != ".." {
			parts = append(parts, s)
		}
	}
	n = strings.Join(parts, "/")
	if n == "" {
		n = "unnamed"
	}
	u.names[n]++
	if k := u.names[n]; k > 1 {
		ext := path.Ext(n)
		n = strings.TrimSuffix(n, ext) + " (" + strconv.Itoa(k) + ")" + ext
	}
	return n
}

// junk reports members that are a system's bookkeeping, not a person's
// files.
func junk(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, "._") || base == ".DS_Store" || base == "Thumbs.db" || base == "desktop.ini"
}

// member passes one member on, writing it from r. check, when set, is
// called with the bytes unpacked so far: it returns a reason to give up
// the member, or an *Error to give up the container.
func (u *unpacker) member(m Member, r io.Reader, check func(n int64) error) error {
	if err := u.ctx.Err(); err != nil {
		return err
	}
	if u.count >= u.lim.MaxMembers {
		return failf(ErrTooLarge, "holds more than %d files; only the first %d were indexed", u.lim.MaxMembers, u.lim.MaxMembers)
	}
	u.count++
	if m.Reason == "" && m.Size > u.lim.MaxMember {
		m.Reason = fmt.Sprintf("too large: %s unpacked, the limit is %s", sizeText(m.Size), sizeText(u.lim.MaxMember))
	}
	if m.Reason != "" || r == nil || (u.skip != nil && u.skip(m)) {
		return u.fn(m, "")
	}
	u.seq++
	sub := filepath.Join(u.dir, strconv.Itoa(u.seq))
	if err := os.Mkdir(sub, 0o700); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	base := path.Base(m.Name)
	if len(base) > 200 {
		base = base[len(base)-200:]
	}
	local := filepath.Join(sub, base)
	out, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	limit := max(min(u.lim.MaxMember, u.lim.MaxTotal-*u.total), 0)
	g := &guard{r: io.LimitReader(r, limit+1), check: check}
	n, err := copyCtx(u.ctx, out, g)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	*u.total += n
	var stop *Error
	var giveUp memberReason
	switch {
	case u.ctx.Err() != nil:
		os.RemoveAll(sub)
		return u.ctx.Err()
	case errors.As(err, &stop):
		os.RemoveAll(sub)
		return stop
	case errors.As(err, &giveUp):
		os.RemoveAll(sub)
		m.Reason = string(giveUp)
		return u.fn(m, "")
	case n > limit && limit < u.lim.MaxMember:
		os.RemoveAll(sub)
		return failf(ErrTooLarge, "unpacks to more than %s; the files from %s on were not indexed", sizeText(u.lim.MaxTotal), m.Name)
	case n > limit:
		os.RemoveAll(sub)
		m.Reason = fmt.Sprintf("too large: more than %s unpacked, the limit is %s", sizeText(u.lim.MaxMember), sizeText(u.lim.MaxMember))
		return u.fn(m, "")
	case err != nil:
		os.RemoveAll(sub)
		m.Reason = "cannot be unpacked: " + tarProblem(err)
		return u.fn(m, "")
	}
	m.Size = n
	return u.fn(m, local)
}

// memberReason is a check's verdict that one member is not unpacked.
type memberReason string

func (r memberReason) Error() string { return string(r) }

// guard checks the bytes read through it.
type guard struct {
	r     io.Reader
	n     int64
	check func(int64) error
}

func (g *guard) Read(p []byte) (int, error) {
	k, err := g.r.Read(p)
	g.n += int64(k)
	if g.check != nil {
		if cerr := g.check(g.n); cerr != nil {
			return k, cerr
		}
	}
	return k, err
}

// bombReason says why a member that expands too much is not unpacked.
func bombReason(ratio int64) string {
	return fmt.Sprintf("not unpacked: it expands more than %d times its compressed size, which is how decompression bombs work", ratio)
}

// copyCtx copies, stopping when ctx is cancelled.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (u *unpacker) zip(f *os.File, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		why := err.Error()
		if errors.Is(err, zip.ErrFormat) {
			why = "its zip directory is missing or unreadable"
		}
		return &Error{Kind: ErrCorrupt, Format: "zip", Reason: fmt.Sprintf("corrupt zip archive: the archive is truncated or damaged (%s)", why), Err: err}
	}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") || !zf.Mode().IsRegular() || junk(zf.Name) {
			continue
		}
		if err := u.zipMember(zf); err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) zipMember(zf *zip.File) error {
	m := Member{Name: u.name(zf.Name), Size: int64(zf.UncompressedSize64), Modified: zf.Modified}
	switch {
	case zf.Flags&0x1 != 0:
		m.Reason = "password-protected file inside a zip archive; Quarry does not unpack encrypted zip members"
	case zf.Method != zip.Store && zf.Method != zip.Deflate:
		m.Reason = fmt.Sprintf("not supported: zip compression method %d", zf.Method)
	}
	if m.Reason != "" {
		return u.member(m, nil, nil)
	}
	rc, err := zf.Open()
	if err != nil {
		m.Reason = "cannot be unpacked: " + err.Error()
		return u.member(m, nil, nil)
	}
	defer rc.Close()
	compressed := max(int64(zf.CompressedSize64), 1)
	return u.member(m, rc, func(n int64) error {
		if n > ratioFloor && n > u.lim.MaxRatio*compressed {
			return memberReason(bombReason(u.lim.MaxRatio))
		}
		return nil
	})
}

// tar walks a tar stream; counted, when set, tells how many compressed
// bytes were read so far (for .tar.gz), for the ratio check.
func (u *unpacker) tar(r io.Reader, what string, counted func() int64) error {
	tr := tar.NewReader(r)
	// A compressed tar is checked as one stream: the bytes unpacked so
	// far against the compressed bytes read.
	var before int64
	var check func(int64) error
	if counted != nil {
		check = func(n int64) error {
			if all := before + n; all > ratioFloor && all > u.lim.MaxRatio*max(counted(), 1) {
				return failf(ErrTooLarge, "unpacking stopped: it expands more than %d times its size, which is how decompression bombs work; %d %s before that were indexed",
					u.lim.MaxRatio, u.count-1, plural(u.count-1, "file", "files"))
			}
			return nil
		}
	}
	for {
		if check != nil {
			if err := check(0); err != nil {
				return err
			}
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if u.count == 0 {
				return &Error{Kind: ErrCorrupt, Format: "tar", Reason: fmt.Sprintf("corrupt %s: %s", what, tarProblem(err)), Err: err}
			}
			return &Error{Kind: ErrCorrupt, Format: "tar", Reason: fmt.Sprintf("corrupt %s: %s after %d %s; those were indexed", what, tarProblem(err), u.count, plural(u.count, "file", "files")), Err: err}
		}
		if !h.FileInfo().Mode().IsRegular() || junk(h.Name) {
			continue
		}
		m := Member{Name: u.name(h.Name), Size: h.Size, Modified: h.ModTime}
		if err := u.member(m, tr, check); err != nil {
			return err
		}
		before += h.Size
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// WalkMembers unpacks the container at local into dir and calls fn for
// every member, depth first: the members of a nested container come
// before the container itself. shown is the container's document path;
// fn gets each member's. A nested container that cannot be unpacked, or
// lies deeper than lim.MaxDepth, is passed with Reason set. skip(path, m)
// says a member need not be written (nor, for a container, looked into).
// The budget of lim.MaxTotal is shared by the whole tree. It returns the
// outer container's problem, as Unpack does.
func WalkMembers(ctx context.Context, local, shown, dir string, lim Limits, skip func(string, Member) bool, fn func(string, Member, string) error) error {
	c, err := openContainer(local)
	if err != nil {
		return err
	}
	defer c.f.Close()
	return walkMembers(ctx, c, local, shown, dir, lim.WithDefaults(), 1, new(int64), skip, fn)
}

func walkMembers(ctx context.Context, c container, local, shown, dir string, lim Limits, depth int, total *int64, skip func(string, Member) bool, fn func(string, Member, string) error) error {
	var sk func(Member) bool
	if skip != nil {
		sk = func(m Member) bool { return skip(JoinMember(shown, m.Name), m) }
	}
	return unpackOpen(ctx, c, local, dir, lim, total, sk, func(m Member, l string) error {
		name := JoinMember(shown, m.Name)
		if l == "" || !MayContain(m.Name) {
			return fn(name, m, l)
		}
		c, err := openContainer(l)
		switch {
		case errors.Is(err, ErrNotContainer):
			return fn(name, m, l)
		case err != nil:
			return err
		}
		defer c.f.Close()
		if depth >= lim.MaxDepth {
			m.Reason = fmt.Sprintf("an archive inside %d others: not unpacked (Quarry unpacks archives %d deep)", depth, lim.MaxDepth)
			os.RemoveAll(filepath.Dir(l))
			return fn(name, m, "")
		}
		sub := filepath.Join(filepath.Dir(l), "members")
		if err := os.Mkdir(sub, 0o700); err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
		if err := walkMembers(ctx, c, l, name, sub, lim, depth+1, total, skip, fn); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return err
			}
			m.Reason = Reason(err)
		}
		return fn(name, m, l)
	})
}

// Materialize writes the document at path p, a file inside a container
// (possibly nested), to a temporary file under dir (made if need be) and
// returns it with a function that removes it. A plain file is returned as
// it is, with a no-op cleanup.
func Materialize(ctx context.Context, p, dir string) (local string, cleanup func(), err error) {
	file, chain := SplitMember(p)
	if len(chain) == 0 {
		return p, func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("unpack: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "member-")
	if err != nil {
		return "", nil, fmt.Errorf("unpack: %w", err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	cur := file
	for i, want := range chain {
		level := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.Mkdir(level, 0o700); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("unpack: %w", err)
		}
		var got, why string
		err := Unpack(ctx, cur, level, Limits{}, func(m Member) bool { return m.Name != want },
			func(m Member, local string) error {
				if m.Name != want {
					return nil
				}
				got, why = local, m.Reason
				return errStop
			})
		switch {
		case err != nil:
			cleanup()
			return "", nil, err
		case why != "":
			cleanup()
			return "", nil, failf(ErrUnsupported, "%s", why)
		case got == "":
			cleanup()
			return "", nil, fmt.Errorf("%s is no longer inside %s: %w", want, MemberBase(strings.Join(append([]string{file}, chain[:i]...), MemberSep)), os.ErrNotExist)
		}
		cur = got
	}
	return cur, cleanup, nil
}

// containerWhat names a container kind for people.
var containerWhat = map[string]string{
	"zip": "Zip archive", "tar": "Tar archive", "tgz": "Compressed tar archive (.tar.gz)", "gz": "Gzip-compressed file",
	"tbz2": "Compressed tar archive (.tar.bz2)", "bz2": "Bzip2-compressed file", "txz": "Compressed tar archive (.tar.xz)",
	"xz": "Xz-compressed file", "7z": "7-Zip archive", "rar": "RAR archive",
}

// readListing reads an archive as the list of what it holds; its members
// are documents of their own.
func readListing(x *extraction) error {
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	c := container{f: x.f, size: x.size, format: x.doc.Format, kind: containerKind(x.f, x.doc.Format, x.path)}
	var names []string
	var protected int
	err := unpackOpen(x.ctx, c, x.path, "", Limits{}.WithDefaults(), new(int64), func(Member) bool { return true }, func(m Member, _ string) error {
		names = append(names, m.Name)
		if strings.HasPrefix(m.Reason, "password-protected") {
			protected++
		}
		return nil
	})
	if err != nil && (len(names) == 0 || x.ctx.Err() != nil) {
		return err
	}
	head := fmt.Sprintf("%s holding %d %s", containerWhat[c.kind], len(names), plural(len(names), "file", "files"))
	if protected > 0 {
		head += fmt.Sprintf(" (%d password-protected)", protected)
	}
	if err := x.add(Block{Kind: KindHeader, Text: head}); err != nil {
		return err
	}
	for i := 0; i < len(names); i += 50 {
		if err := x.add(Block{Kind: KindParagraph, Text: strings.Join(names[i:min(i+50, len(names))], "\n")}); err != nil {
			return err
		}
	}
	return nil
}
