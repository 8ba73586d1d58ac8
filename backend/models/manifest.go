package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ManifestName is the file Quarry writes into a model folder once its
// files are verified.
const ManifestName = "quarry-model.json"

// Manifest records what a model folder holds and the digests verified
// when it was filled.
type Manifest struct {
	Name     string `json:"name"`
	Repo     string `json:"repo,omitempty"`
	Revision string `json:"revision,omitempty"`
	Variant  string `json:"variant,omitempty"`
	// Source is "download" or "import".
	Source string `json:"source"`
	Files  []File `json:"files"`
	// From lists, for a model converted on install, the package files
	// it was made from, as verified then; they are not kept.
	From []File `json:"from,omitempty"`
}

// ReadManifest reads the manifest of a model folder.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode manifest %s: %w", dir, err)
	}
	return m, nil
}

// WriteManifest atomically writes the manifest of a model folder.
func WriteManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	tmp := filepath.Join(dir, ManifestName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
