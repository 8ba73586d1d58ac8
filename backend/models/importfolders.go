package models

import "context"

// ImportFolders imports a model whose files may be spread over several
// folders (say, the tokenizer in one and the weights in another). With
// allowUnverified, files that differ from the registry's pins (a custom
// export or fine-tune) are accepted; the manifest records their own
// digests, so the fingerprint still tells them apart. Only the files the
// registry names are copied either way.
func ImportFolders(ctx context.Context, m Model, variant string, paths []string, dst string, allowUnverified bool, progress func(Progress)) (Manifest, error) {
	if allowUnverified {
		m = unpinned(m)
	}
	if m.Kind == KindStatic {
		variant = ""
	} else if variant == "" {
		variant = VariantFP32
	}
	return Import(ctx, m, variant, paths, dst, progress)
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
