package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ImportFolders imports a model whose files are spread over several
// folders (say, the tokenizer in one and the weights in another). With
// allowUnverified, files that differ from the registry's pins (a custom
// export or fine-tune) are accepted; the manifest records their own
// digests, so the fingerprint still tells them apart.
func ImportFolders(ctx context.Context, m Model, variant string, paths []string, dst string, allowUnverified bool, progress func(Progress)) (Manifest, error) {
	src, cleanup, err := mergeFolders(paths)
	if err != nil {
		return Manifest{}, err
	}
	defer cleanup()
	if allowUnverified {
		m = unpinned(m)
	}
	if m.Kind == KindStatic {
		variant = ""
	} else if variant == "" {
		variant = "fp32"
	}
	return Import(ctx, m, variant, src, dst, progress)
}

// unpinned drops the registry's digests so that any files are accepted.
func unpinned(m Model) Model {
	m.Files = append([]File(nil), m.Files...)
	for i := range m.Files {
		m.Files[i].SHA256, m.Files[i].Size = "", 0
	}
	m.Variants = append([]Variant(nil), m.Variants...)
	for i := range m.Variants {
		m.Variants[i].ONNX.SHA256, m.Variants[i].ONNX.Size = "", 0
	}
	return m
}

// mergeFolders presents several folders as one (links in a temporary
// folder), so a model's tokenizer and weights may live apart.
func mergeFolders(paths []string) (string, func(), error) {
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return "", nil, fmt.Errorf("import model: %s is not a folder", p)
		}
	}
	if len(paths) == 1 {
		return paths[0], func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "quarry-import-")
	if err != nil {
		return "", nil, fmt.Errorf("import model: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(p, path)
			to := filepath.Join(tmp, rel)
			if strings.HasPrefix(rel, "..") {
				return nil
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			abs, _ := filepath.Abs(path)
			if err := os.Symlink(abs, to); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
			return nil
		})
		if err != nil {
			cleanup()
			return "", nil, fmt.Errorf("import model: %w", err)
		}
	}
	return tmp, cleanup, nil
}
