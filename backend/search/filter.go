package search

import (
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// matcher is a compiled Filters.
type matcher struct {
	sources  []int64
	folders  []string
	exts     []string // ".pdf"
	mimes    []string // exact, or prefixes ending in "/"
	from     time.Time
	before   time.Time
	statuses []string
}

// compile returns nil for filters that match everything.
func (f Filters) compile() *matcher {
	m := &matcher{sources: f.SourceIDs, statuses: f.Statuses}
	for _, d := range f.Folders {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		d = filepath.Clean(d)
		if !strings.HasSuffix(d, string(filepath.Separator)) {
			d += string(filepath.Separator)
		}
		m.folders = append(m.folders, d)
	}
	for _, t := range f.FileTypes {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
		case strings.Contains(t, "/"):
			m.mimes = append(m.mimes, t)
		default:
			m.exts = append(m.exts, "."+strings.TrimPrefix(t, "."))
		}
	}
	if f.ModifiedFrom != nil {
		m.from = *f.ModifiedFrom
	}
	if f.ModifiedBefore != nil {
		m.before = *f.ModifiedBefore
	}
	if len(m.sources) == 0 && len(m.folders) == 0 && len(m.exts) == 0 && len(m.mimes) == 0 &&
		m.from.IsZero() && m.before.IsZero() && len(m.statuses) == 0 {
		return nil
	}
	return m
}

// keep reports whether a document passes. A document reachable at several
// paths passes when any of them does.
func (m *matcher) keep(d *kdoc) bool {
	if m == nil {
		return true
	}
	meta := &d.meta
	if len(m.statuses) > 0 && !slices.Contains(m.statuses, meta.Status) {
		return false
	}
	if !m.from.IsZero() && meta.Modified.Before(m.from) {
		return false
	}
	if !m.before.IsZero() && !meta.Modified.Before(m.before) {
		return false
	}
	if len(m.sources) > 0 && !slices.ContainsFunc(meta.SourceIDs, func(s int64) bool { return slices.Contains(m.sources, s) }) {
		return false
	}
	paths := meta.Paths
	if len(paths) == 0 {
		paths = []string{meta.Path}
	}
	if len(m.folders) > 0 && !slices.ContainsFunc(paths, func(p string) bool {
		return slices.ContainsFunc(m.folders, func(f string) bool { return strings.HasPrefix(p, f) })
	}) {
		return false
	}
	if len(m.exts) > 0 || len(m.mimes) > 0 {
		mime := strings.ToLower(meta.MimeType)
		if i := strings.IndexByte(mime, ';'); i >= 0 {
			mime = strings.TrimSpace(mime[:i])
		}
		byMime := slices.ContainsFunc(m.mimes, func(t string) bool {
			return mime == t || (strings.HasSuffix(t, "/") && strings.HasPrefix(mime, t))
		})
		byExt := slices.ContainsFunc(paths, func(p string) bool {
			return slices.Contains(m.exts, strings.ToLower(filepath.Ext(p)))
		})
		if !byMime && !byExt {
			return false
		}
	}
	return true
}
