package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoWeights is returned when a model folder holds no ONNX file.
var ErrNoWeights = errors.New("no ONNX weights found")

// Spec is how to run a model, read from its files on disk with the
// registry entry filling what the files do not say.
type Spec struct {
	Model Model
	Dir   string
	// ONNXPath is the weights file chosen for the requested variant.
	ONNXPath       string
	Variant        string
	Pooling        Pooling
	Normalize      bool
	MaxSeqLen      int
	Dims           int
	QueryPrefix    string
	DocumentPrefix string
}

// ReadSpec reads the sentence-transformers description of the model in
// dir: modules.json, the pooling config, sentence_bert_config.json,
// config.json and config_sentence_transformers.json. Missing files fall
// back to m. variant picks the weights ("fp32", "int8"; "" tries int8
// then fp32 when m has no preference).
func ReadSpec(dir string, m Model, variant string) (Spec, error) {
	s := Spec{
		Model: m, Dir: dir, Variant: variant,
		Pooling: m.Pooling, Normalize: m.Normalize, MaxSeqLen: m.MaxSeqLen, Dims: m.Dims,
		QueryPrefix: m.QueryPrefix, DocumentPrefix: m.DocumentPrefix,
	}
	if s.Pooling == "" {
		s.Pooling = PoolingMean
	}

	poolingDir := "1_Pooling"
	var modules []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	found, err := readJSON(filepath.Join(dir, "modules.json"), &modules)
	if err != nil {
		return Spec{}, err
	}
	if found {
		s.Normalize = false
		for _, mod := range modules {
			switch {
			case strings.HasSuffix(mod.Type, ".Normalize"):
				s.Normalize = true
			case strings.HasSuffix(mod.Type, ".Pooling"):
				poolingDir = mod.Path
			}
		}
	}

	var pool struct {
		Dims int  `json:"word_embedding_dimension"`
		CLS  bool `json:"pooling_mode_cls_token"`
		Mean bool `json:"pooling_mode_mean_tokens"`
		Max  bool `json:"pooling_mode_max_tokens"`
		Sqrt bool `json:"pooling_mode_mean_sqrt_len_tokens"`
	}
	if found, err := readJSON(filepath.Join(dir, poolingDir, "config.json"), &pool); err != nil {
		return Spec{}, err
	} else if found {
		switch {
		case pool.CLS:
			s.Pooling = PoolingCLS
		case pool.Mean:
			s.Pooling = PoolingMean
		case pool.Max:
			s.Pooling = PoolingMax
		default:
			return Spec{}, fmt.Errorf("read spec %s: unsupported pooling mode", dir)
		}
		if pool.Dims > 0 {
			s.Dims = pool.Dims
		}
	}

	var cfg struct {
		Hidden int               `json:"hidden_size"`
		MaxPos int               `json:"max_position_embeddings"`
		Labels map[string]string `json:"id2label"`
	}
	if _, err := readJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return Spec{}, err
	}
	if m.Kind == KindReranker {
		// A cross-encoder's output is one logit per label, not a vector.
		s.Dims, s.Normalize, s.QueryPrefix, s.DocumentPrefix = max(len(cfg.Labels), 1), false, "", ""
	} else if cfg.Hidden > 0 && s.Dims == 0 {
		s.Dims = cfg.Hidden
	}
	var sb struct {
		MaxSeqLen int `json:"max_seq_length"`
	}
	if _, err := readJSON(filepath.Join(dir, "sentence_bert_config.json"), &sb); err != nil {
		return Spec{}, err
	}
	if sb.MaxSeqLen > 0 {
		s.MaxSeqLen = sb.MaxSeqLen
	}
	if cfg.MaxPos > 0 && (s.MaxSeqLen == 0 || s.MaxSeqLen > cfg.MaxPos) {
		s.MaxSeqLen = cfg.MaxPos
	}
	if s.MaxSeqLen == 0 {
		s.MaxSeqLen = 512
	}

	var st struct {
		Prompts map[string]string `json:"prompts"`
	}
	if _, err := readJSON(filepath.Join(dir, "config_sentence_transformers.json"), &st); err != nil {
		return Spec{}, err
	}
	if p, ok := st.Prompts["query"]; ok {
		s.QueryPrefix = p
	}
	for _, k := range []string{"document", "passage"} {
		if p, ok := st.Prompts[k]; ok {
			s.DocumentPrefix = p
			break
		}
	}

	if m.Kind == KindStatic {
		return s, nil
	}
	s.ONNXPath, s.Variant, err = findWeights(dir, m, variant)
	if err != nil {
		return Spec{}, err
	}
	return s, nil
}

// findWeights picks the ONNX file for variant: the registry path first,
// then the usual names.
func findWeights(dir string, m Model, variant string) (string, string, error) {
	type cand struct{ path, variant string }
	var cands []cand
	order := []string{variant}
	if variant == "" {
		order = []string{VariantFP32, VariantInt8}
	}
	for _, name := range order {
		if v, ok := m.Variant(name); ok {
			cands = append(cands, cand{v.ONNX.Path, name}, cand{filepath.Base(v.ONNX.Path), name})
		}
		switch name {
		case VariantFP32:
			cands = append(cands, cand{"model.onnx", name}, cand{"onnx/model.onnx", name})
		case VariantInt8:
			cands = append(cands, cand{"model_quantized.onnx", name}, cand{"onnx/model_quantized.onnx", name},
				cand{"model_int8.onnx", name}, cand{"onnx/model_int8.onnx", name})
		}
	}
	var looked []string
	for _, c := range cands {
		p := filepath.Join(dir, filepath.FromSlash(c.path))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, c.variant, nil
		}
		looked = append(looked, c.path)
	}
	return "", "", fmt.Errorf("%w in %s (looked for %s)", ErrNoWeights, dir, strings.Join(looked, ", "))
}

// readJSON decodes path into v; a missing file is not an error.
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", path, err)
	}
	return true, nil
}
