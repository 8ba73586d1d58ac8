package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Import copies a model folder the user already has (for example from a
// machine with internet access) into dst, verifying pinned digests, and
// writes the manifest. It needs no network. For a registered model, each
// file is looked for at its repository path and by its base name; for an
// unregistered model (no Files) the whole folder is copied.
func Import(ctx context.Context, m Model, variant, src, dst string, progress func(Progress)) (Manifest, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	man := Manifest{Name: m.Name, Repo: m.Repo, Revision: m.Revision, Variant: variant, Source: "import"}
	var files []File
	if len(m.Files) == 0 && len(m.Variants) == 0 {
		err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.Type().IsRegular() && de.Name() != ManifestName {
				rel, _ := filepath.Rel(src, p)
				files = append(files, File{Path: filepath.ToSlash(rel)})
			}
			return nil
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", src, err)
		}
	} else {
		var err error
		if files, err = planFiles(m, variant); err != nil {
			return Manifest{}, err
		}
	}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		from := ""
		for _, c := range []string{filepath.FromSlash(f.Path), filepath.Base(f.Path)} {
			if st, err := os.Stat(filepath.Join(src, c)); err == nil && st.Mode().IsRegular() {
				from = filepath.Join(src, c)
				break
			}
		}
		if from == "" {
			if f.Optional {
				continue
			}
			return Manifest{}, fmt.Errorf("import %s: %w: %s", src, ErrFileMissing, f.Path)
		}
		to := filepath.Join(dst, filepath.FromSlash(f.Path))
		p := Progress{Model: m.Name, File: f.Path, FileIndex: i, Files: len(files)}
		got, err := copyVerified(ctx, from, to, f, func(done, total int64) {
			p.Done, p.Total = done, total
			progress(p)
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", f.Path, err)
		}
		man.Files = append(man.Files, got)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return Manifest{}, err
	}
	if err := WriteManifest(dst, man); err != nil {
		return Manifest{}, err
	}
	return man, nil
}

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
	tmp := to + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return File{}, err
	}
	var done int64
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			out.Close()
			os.Remove(tmp)
			return File{}, err
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				os.Remove(tmp)
				return File{}, err
			}
			done += int64(n)
			report(done, st.Size())
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			out.Close()
			os.Remove(tmp)
			return File{}, rerr
		}
	}
	if err := out.Close(); err != nil {
		return File{}, err
	}
	got, err := verify(tmp, f)
	if err != nil {
		os.Remove(tmp)
		return File{}, err
	}
	if err := os.Rename(tmp, to); err != nil {
		return File{}, err
	}
	return got, nil
}
