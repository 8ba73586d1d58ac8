// Package scan walks a source directory and reports the files to index:
// recursive, in stable lexical order, honouring include/exclude globs and
// .gitignore-style ignore files, skipping hidden and system files by
// default, with size limits, and surviving symlink loops and unreadable
// paths (reported per path; the walk goes on). Each file comes with its
// size, mtime, MIME type sniffed from content and SHA-256 content hash.
package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gabriel-vasile/mimetype"
)

// Conditions reported through Options.OnError for paths that are skipped.
var (
	ErrTooLarge    = errors.New("file exceeds the size limit")
	ErrSymlinkLoop = errors.New("symlink loop")
	ErrNotRegular  = errors.New("not a regular file")
)

// File is one file found by Walk.
type File struct {
	Path    string // absolute path as walked (through symlinks, if any)
	Rel     string // slash-separated path relative to the root
	Size    int64
	ModTime time.Time
	MIME    string // sniffed from content, e.g. "application/pdf"
	SHA256  string // hex-encoded; "" when Options.NoHash
}

// Options configure Walk. The zero value walks everything that is not
// hidden, ignored or a system file, and hashes every file.
type Options struct {
	// Include, when not empty, keeps only files whose root-relative path
	// matches one of these doublestar patterns ("**/*.pdf", "docs/**").
	Include []string
	// Exclude drops files and whole directories matching a pattern.
	Exclude []string
	// IgnoreFiles names the per-directory ignore files read with
	// .gitignore semantics (default ".gitignore", ".quarryignore").
	IgnoreFiles []string
	// NoIgnoreFiles disables ignore files.
	NoIgnoreFiles bool
	// IncludeHidden walks dotfiles and system files too.
	IncludeHidden bool
	// MaxFileSize skips larger files, reported as ErrTooLarge (0 = none).
	MaxFileSize int64
	// NoFollowSymlinks ignores symbolic links instead of following them.
	NoFollowSymlinks bool
	// NoHash skips content hashing (and reads only the head for the MIME
	// type).
	NoHash bool
	// OnError receives paths that could not be walked or were skipped for
	// a reason worth showing; the walk continues. Nil logs them at debug.
	OnError func(path string, err error)
	Logger  *slog.Logger
}

// systemNames are operating-system litter, skipped like dotfiles.
var systemNames = map[string]bool{
	"thumbs.db": true, "ehthumbs.db": true, "desktop.ini": true, ".ds_store": true,
	"$recycle.bin": true, "system volume information": true, ".spotlight-v100": true,
	".trashes": true, ".fseventsd": true, ".localized": true, "icon\r": true,
}

// IsHidden reports dotfiles, Office lock files (~$name), editors' and
// downloaders' scratch files and system files.
func IsHidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") || systemNames[strings.ToLower(name)] ||
		IsScratch(name)
}

// IsScratch reports the files editors and programs write while saving and
// delete or rename soon after: backups ("notes.txt~"), Emacs auto-saves
// ("#notes.txt#"), Vim swap files and its write probe ("4913"), Word's
// temporary files ("~WRL0001.tmp") and partial downloads. Dot-named ones
// (".notes.txt.swp", ".#notes.txt", ".goutputstream-X", ".~lock.x#") are
// hidden anyway.
func IsScratch(name string) bool {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(name, "~"), name == "4913",
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#") && len(name) > 1,
		strings.HasPrefix(name, "~") && strings.HasSuffix(lower, ".tmp"):
		return true
	}
	for _, ext := range []string{".swp", ".swo", ".swx", ".crdownload", ".part", ".partial"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// Walk calls fn for each file under root in lexical order. An error from
// fn stops the walk and is returned; so is ctx's error.
func Walk(ctx context.Context, root string, opts Options, fn func(File) error) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("scan %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("scan %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("scan %s: not a directory", root)
	}
	for _, p := range append(append([]string{}, opts.Include...), opts.Exclude...) {
		if !doublestar.ValidatePattern(p) {
			return fmt.Errorf("scan %s: invalid pattern %q", root, p)
		}
	}
	if opts.IgnoreFiles == nil {
		opts.IgnoreFiles = []string{".gitignore", ".quarryignore"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &walker{opts: opts, fn: fn}
	if w.opts.OnError == nil {
		log := opts.Logger
		w.opts.OnError = func(p string, err error) { log.Debug("scan skipped path", "path", p, "err", err) }
	}
	return w.dir(ctx, abs, "", nil, []os.FileInfo{fi})
}

type walker struct {
	opts Options
	fn   func(File) error
}

func (w *walker) dir(ctx context.Context, abs, rel string, rules []rule, ancestors []os.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		w.opts.OnError(abs, err)
		if len(entries) == 0 {
			return nil
		}
	}
	if !w.opts.NoIgnoreFiles {
		for _, name := range w.opts.IgnoreFiles {
			rs, err := readIgnoreFile(filepath.Join(abs, name), rel)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.opts.OnError(filepath.Join(abs, name), err)
			}
			rules = append(rules, rs...)
		}
	}
	// os.ReadDir sorts by name: the walk order is lexical by byte value.
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if !w.opts.IncludeHidden && IsHidden(name) {
			continue
		}
		childAbs := filepath.Join(abs, name)
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		mode := e.Type()
		var info os.FileInfo
		if mode&fs.ModeSymlink != 0 {
			if w.opts.NoFollowSymlinks {
				continue
			}
			info, err = os.Stat(childAbs)
			if err != nil {
				w.opts.OnError(childAbs, fmt.Errorf("follow symlink: %w", err))
				continue
			}
			mode = info.Mode().Type()
		}
		isDir := mode.IsDir()
		if ignored(rules, childRel, isDir) || matchAny(w.opts.Exclude, childRel) {
			continue
		}
		if isDir {
			if info == nil {
				if info, err = e.Info(); err != nil {
					w.opts.OnError(childAbs, err)
					continue
				}
			}
			if loops(info, ancestors) {
				w.opts.OnError(childAbs, ErrSymlinkLoop)
				continue
			}
			if err := w.dir(ctx, childAbs, childRel, rules, append(ancestors, info)); err != nil {
				return err
			}
			continue
		}
		if !mode.IsRegular() {
			continue // sockets, devices, pipes
		}
		if len(w.opts.Include) > 0 && !matchAny(w.opts.Include, childRel) {
			continue
		}
		f, err := w.file(childAbs, childRel)
		if err != nil {
			w.opts.OnError(childAbs, err)
			continue
		}
		if err := w.fn(f); err != nil {
			return err
		}
	}
	return nil
}

func loops(info os.FileInfo, ancestors []os.FileInfo) bool {
	for _, a := range ancestors {
		if os.SameFile(a, info) {
			return true
		}
	}
	return false
}

// Keeps reports whether a file at the root-relative path rel (a file
// inside an archive included: "old/a.zip › docs/b.txt") passes the
// include and exclude patterns and, unless hidden files are walked, has
// no hidden name on its path.
func (o Options) Keeps(rel string) bool {
	if !o.IncludeHidden {
		for _, part := range strings.FieldsFunc(rel, func(r rune) bool { return r == '/' || r == '\\' }) {
			for _, name := range strings.Split(part, " › ") {
				if IsHidden(name) {
					return false
				}
			}
		}
	}
	if matchAny(o.Exclude, rel) {
		return false
	}
	return len(o.Include) == 0 || matchAny(o.Include, rel)
}

func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
	}
	return false
}

func (w *walker) file(abs, rel string) (File, error) {
	fh, err := os.Open(abs)
	if err != nil {
		return File{}, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return File{}, err
	}
	if !fi.Mode().IsRegular() {
		return File{}, ErrNotRegular
	}
	if w.opts.MaxFileSize > 0 && fi.Size() > w.opts.MaxFileSize {
		return File{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, fi.Size(), w.opts.MaxFileSize)
	}
	f := File{Path: abs, Rel: rel, Size: fi.Size(), ModTime: fi.ModTime()}
	f.MIME, f.SHA256, err = sniffAndHash(fh, !w.opts.NoHash)
	if err != nil {
		return File{}, err
	}
	return f, nil
}

// sniffAndHash detects the MIME type from the head of r and, when hash is
// set, streams the whole content through SHA-256.
func sniffAndHash(r io.Reader, hash bool) (mime, sum string, err error) {
	head := make([]byte, 3072)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", "", fmt.Errorf("read: %w", err)
	}
	head = head[:n]
	mime = mimetype.Detect(head).String()
	if !hash {
		return mime, "", nil
	}
	h := sha256.New()
	h.Write(head)
	if _, err := io.Copy(h, r); err != nil {
		return "", "", fmt.Errorf("hash: %w", err)
	}
	return mime, hex.EncodeToString(h.Sum(nil)), nil
}

// Hash returns the hex SHA-256 of a file's content.
func Hash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rule is one line of an ignore file.
type rule struct {
	base    string // slash path of the ignore file's directory, "" at root
	pattern string // doublestar pattern relative to base
	negate  bool
	dirOnly bool
}

func readIgnoreFile(p, base string) ([]rule, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return parseIgnore(string(b), base), nil
}

// parseIgnore parses .gitignore syntax: comments, blank lines, "!"
// negation, trailing "/" for directories only, patterns containing a
// slash anchored at the ignore file's directory, others matching at any
// depth below it, "**" across directories.
func parseIgnore(content, base string) []rule {
	var rules []rule
	for line := range strings.SplitSeq(content, "\n") {
		line = strings.TrimRight(line, "\r")
		if !strings.HasSuffix(line, `\ `) {
			line = strings.TrimRight(line, " \t")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := rule{base: base}
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		if strings.Contains(line, "/") {
			line = strings.TrimPrefix(line, "/")
		} else {
			line = "**/" + line
		}
		if !doublestar.ValidatePattern(line) {
			continue
		}
		r.pattern = line
		rules = append(rules, r)
	}
	return rules
}

// ignored applies the rules in order; the last matching rule decides.
func ignored(rules []rule, rel string, isDir bool) bool {
	ign := false
	for _, r := range rules {
		if r.dirOnly && !isDir {
			continue
		}
		p := rel
		if r.base != "" {
			var ok bool
			if p, ok = strings.CutPrefix(rel, r.base+"/"); !ok {
				continue
			}
		}
		if ok, _ := doublestar.Match(r.pattern, p); ok {
			ign = !r.negate
		} else if ok, _ := doublestar.Match(r.pattern+"/**", p); ok && !r.negate {
			// Inside an ignored directory (reached only when a negation
			// re-included the directory itself).
			ign = true
		}
	}
	return ign
}
