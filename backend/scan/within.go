package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
)

// Filter answers, for a path under a root, whether a Walk of the root
// with the same options would skip it — the rules a watch applies to the
// events it sees, so watching and scanning never disagree. Ignore files
// are read once per folder and cached; Forget drops a folder's cache when
// one of its ignore files changes.
type Filter struct {
	root string
	opts Options

	mu    sync.Mutex
	rules map[string][]rule // by slash path of the folder, "" = root: rules in force inside it
}

// NewFilter returns the filter of a root.
func NewFilter(root string, opts Options) *Filter {
	if opts.IgnoreFiles == nil {
		opts.IgnoreFiles = []string{".gitignore", ".quarryignore"}
	}
	return &Filter{root: filepath.Clean(root), opts: opts, rules: map[string][]rule{}}
}

// IsIgnoreFile reports whether name is one of the ignore files the filter
// reads.
func (f *Filter) IsIgnoreFile(name string) bool {
	if f.opts.NoIgnoreFiles {
		return false
	}
	for _, n := range f.opts.IgnoreFiles {
		if n == name {
			return true
		}
	}
	return false
}

// Rel returns p relative to the root, slash-separated, and whether p is
// inside it ("" is the root itself).
func (f *Filter) Rel(p string) (string, bool) {
	rel, err := filepath.Rel(f.root, filepath.Clean(p))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	if rel == "." {
		return "", true
	}
	return filepath.ToSlash(rel), true
}

// Skip reports whether a walk of the root leaves p out: p or a folder
// above it is hidden, ignored or excluded, or p is a file the include
// patterns do not name. Paths outside the root are skipped.
func (f *Filter) Skip(p string, isDir bool) bool {
	rel, ok := f.Rel(p)
	if !ok {
		return true
	}
	if rel == "" {
		return false
	}
	parts := strings.Split(rel, "/")
	for i, name := range parts {
		dir := i < len(parts)-1 || isDir
		if !f.opts.IncludeHidden && IsHidden(name) {
			return true
		}
		childRel := strings.Join(parts[:i+1], "/")
		if ignored(f.rulesIn(strings.Join(parts[:i], "/")), childRel, dir) || matchAny(f.opts.Exclude, childRel) {
			return true
		}
	}
	return !isDir && len(f.opts.Include) > 0 && !matchAny(f.opts.Include, rel)
}

// rulesIn returns the ignore rules in force inside the folder rel: those
// of every folder from the root down, its own included.
func (f *Filter) rulesIn(rel string) []rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rulesInLocked(rel)
}

func (f *Filter) rulesInLocked(rel string) []rule {
	if r, ok := f.rules[rel]; ok {
		return r
	}
	var inherited []rule
	if rel != "" {
		parent := ""
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			parent = rel[:i]
		}
		inherited = f.rulesInLocked(parent)
	}
	out := inherited[:len(inherited):len(inherited)]
	if !f.opts.NoIgnoreFiles {
		dir := filepath.Join(f.root, filepath.FromSlash(rel))
		for _, name := range f.opts.IgnoreFiles {
			rs, err := readIgnoreFile(filepath.Join(dir, name), rel)
			if err == nil {
				out = append(out, rs...)
			}
		}
	}
	f.rules[rel] = out
	return out
}

// Forget drops what the filter read in folder p and below (an ignore file
// there changed).
func (f *Filter) Forget(p string) {
	rel, ok := f.Rel(p)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.rules {
		if rel == "" || k == rel || strings.HasPrefix(k, rel+"/") {
			delete(f.rules, k)
		}
	}
}

// WalkPaths is Walk limited to some paths under root, as a watch reports
// them: each folder among them is walked, each file visited, with the
// rules a walk of the whole root would apply on the way down. Paths that
// no longer exist are returned as missing; paths the rules leave out are
// returned as skipped (a file that became ignored leaves the collection
// like one that was deleted).
func WalkPaths(ctx context.Context, root string, paths []string, opts Options, fn func(File) error) (missing []string, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	for _, p := range append(append([]string{}, opts.Include...), opts.Exclude...) {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("scan %s: invalid pattern %q", root, p)
		}
	}
	filter := NewFilter(root, opts)
	opts.IgnoreFiles = filter.opts.IgnoreFiles
	w := &walker{opts: opts, fn: fn}
	if w.opts.OnError == nil {
		log := opts.Logger
		w.opts.OnError = func(p string, err error) { log.Debug("scan skipped path", "path", p, "err", err) }
	}
	rootInfo, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return missing, err
		}
		p = filepath.Clean(p)
		rel, inside := filter.Rel(p)
		if !inside {
			continue
		}
		info, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			missing = append(missing, p)
			continue
		case err != nil:
			w.opts.OnError(p, err)
			continue
		}
		if filter.Skip(p, info.IsDir()) {
			missing = append(missing, p)
			continue
		}
		if info.IsDir() {
			parent := ""
			if i := strings.LastIndexByte(rel, '/'); i >= 0 {
				parent = rel[:i]
			}
			var rules []rule
			if rel != "" {
				rules = filter.rulesIn(parent)
			}
			if err := w.dir(ctx, p, rel, rules, []os.FileInfo{rootInfo, info}); err != nil {
				return missing, err
			}
			continue
		}
		if !info.Mode().IsRegular() {
			continue
		}
		file, err := w.file(p, rel)
		if err != nil {
			w.opts.OnError(p, err)
			continue
		}
		if err := fn(file); err != nil {
			return missing, err
		}
	}
	return missing, nil
}
