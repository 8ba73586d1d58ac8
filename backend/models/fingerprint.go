package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Fingerprint identifies exactly which vectors a model produces. It is
// stored with every collection; a collection refuses vectors from a model
// with a different fingerprint.
type Fingerprint struct {
	Name     string
	Revision string
	// SHA256 is the digest of the weights file (or the vector table).
	SHA256    string
	Dims      int
	Pooling   Pooling
	Normalize bool
	// Prefixes change the vectors as much as weights do.
	QueryPrefix, DocumentPrefix string
}

// String renders the fingerprint in a stable, readable form, for example
// "bge-small-en-v1.5@5c38ec7c405e;sha256=9a1b...;dims=384;pooling=cls;norm=1;prefix=3f2a9c01".
func (f Fingerprint) String() string {
	rev := f.Revision
	if rev == "" {
		rev = "local"
	}
	norm := 0
	if f.Normalize {
		norm = 1
	}
	p := sha256.Sum256([]byte(f.QueryPrefix + "\x00" + f.DocumentPrefix))
	return fmt.Sprintf("%s@%s;sha256=%s;dims=%d;pooling=%s;norm=%d;prefix=%s",
		f.Name, rev, strings.ToLower(f.SHA256), f.Dims, f.Pooling, norm, hex.EncodeToString(p[:4]))
}

// Fingerprint of the spec, given the digest of its weights.
func (s Spec) Fingerprint(sha string) Fingerprint {
	return Fingerprint{
		Name: s.Model.Name, Revision: s.Model.Revision, SHA256: sha, Dims: s.Dims,
		Pooling: s.Pooling, Normalize: s.Normalize,
		QueryPrefix: s.QueryPrefix, DocumentPrefix: s.DocumentPrefix,
	}
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(path string) (string, error) {
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

// KnownSHA256 returns the digest of a file inside a model folder, from the
// folder's manifest when it has one (written by downloads and imports),
// otherwise by hashing the file.
func KnownSHA256(dir, path string) (string, error) {
	if m, err := ReadManifest(dir); err == nil {
		if rel, err := filepath.Rel(dir, path); err == nil {
			for _, f := range m.Files {
				if f.Path == filepath.ToSlash(rel) && f.SHA256 != "" {
					if st, err := os.Stat(path); err == nil && st.Size() == f.Size {
						return f.SHA256, nil
					}
				}
			}
		}
	}
	return FileSHA256(path)
}
