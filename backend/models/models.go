// Package models is Quarry's registry of embedding models: what each model
// is, where its files come from, and the limits collections must respect.
// It also reads a model's sentence-transformers description from disk,
// downloads and verifies model files, imports model folders offline and
// computes the fingerprint stored with every collection.
package models

import "slices"

// Kind says how a model turns text into vectors.
type Kind string

const (
	// KindTransformer runs an ONNX transformer encoder and pools its output.
	KindTransformer Kind = "transformer"
	// KindStatic averages rows of a token→vector table (model2vec style).
	KindStatic Kind = "static"
)

// Pooling reduces per-token outputs to one vector.
type Pooling string

const (
	PoolingMean Pooling = "mean"
	PoolingCLS  Pooling = "cls"
	PoolingMax  Pooling = "max"
)

// Variant names for a model's ONNX weights.
const (
	VariantFP32 = "fp32"
	VariantInt8 = "int8"
)

// File is one file of a model as published. Repo and Revision default to
// the model's. An empty SHA256 means the file has not been pinned yet:
// downloads then record the digest they saw instead of checking it.
type File struct {
	Repo     string `json:"repo,omitempty"`
	Revision string `json:"revision,omitempty"`
	Path     string `json:"path"`
	Size     int64  `json:"size,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	// Optional files are fetched when present upstream but not required.
	Optional bool `json:"optional,omitempty"`
}

// Variant is one set of ONNX weights for a model.
type Variant struct {
	Name string `json:"name"`
	ONNX File   `json:"onnx"`
}

// Model describes one registered embedding model.
type Model struct {
	// Name is the stable registry id stored with every collection.
	Name string `json:"name"`
	// ShortName is a compact, identifier-safe form used in vector index names.
	ShortName   string `json:"short_name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
	Dims        int    `json:"dims"`
	// MaxSeqLen is the longest input, in the model's own tokens.
	MaxSeqLen           int  `json:"max_seq_len"`
	DefaultChunkSize    int  `json:"default_chunk_size"`
	DefaultChunkOverlap int  `json:"default_chunk_overlap"`
	Default             bool `json:"default"`

	Kind Kind `json:"kind"`
	// Repo is the Hugging Face repository, Revision the pinned commit.
	Repo     string `json:"repo,omitempty"`
	Revision string `json:"revision,omitempty"`
	License  string `json:"license,omitempty"`
	// Languages is "en" or "multi".
	Languages string `json:"languages,omitempty"`

	Pooling   Pooling `json:"pooling"`
	Normalize bool    `json:"normalize"`
	// QueryPrefix and DocumentPrefix are prepended before tokenizing
	// (e5's "query: "/"passage: ", bge's retrieval instruction).
	QueryPrefix    string `json:"query_prefix,omitempty"`
	DocumentPrefix string `json:"document_prefix,omitempty"`

	// Files are the tokenizer and sentence-transformers files.
	Files    []File    `json:"files,omitempty"`
	Variants []Variant `json:"variants,omitempty"`

	// Unavailable, when set, says why this model cannot run yet.
	Unavailable string `json:"unavailable,omitempty"`
}

// MinChunkSize is the smallest chunk, in tokens, any collection may use.
const MinChunkSize = 32

// Runnable reports whether Quarry can embed with this model.
func (m Model) Runnable() bool { return m.Unavailable == "" }

// Variant returns the named variant; "" means fp32.
func (m Model) Variant(name string) (Variant, bool) {
	if name == "" {
		name = VariantFP32
	}
	for _, v := range m.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Pinned reports whether every file of the variant has a size and digest.
func (m Model) Pinned(variant string) bool {
	v, ok := m.Variant(variant)
	if !ok || v.ONNX.SHA256 == "" || m.Revision == "" || m.Revision == "main" {
		return false
	}
	for _, f := range m.Files {
		if f.SHA256 == "" && !f.Optional {
			return false
		}
	}
	return true
}

// stFiles lists the sentence-transformers files of a BERT-style repo.
func stFiles(pooling File, extra ...File) []File {
	fs := []File{
		{Path: "config.json"},
		{Path: "tokenizer.json"},
		{Path: "tokenizer_config.json"},
		{Path: "special_tokens_map.json", Optional: true},
		{Path: "vocab.txt", Optional: true},
		{Path: "modules.json", Optional: true},
		{Path: "sentence_bert_config.json", Optional: true},
		{Path: "config_sentence_transformers.json", Optional: true},
		pooling,
	}
	return append(fs, extra...)
}

// onnxPair is the fp32/int8 pair published for transformers.js; every
// registered transformer has one under the same layout.
func onnxPair(repo string) []Variant {
	return []Variant{
		{Name: VariantFP32, ONNX: File{Repo: repo, Revision: "main", Path: "onnx/model.onnx"}},
		{Name: VariantInt8, ONNX: File{Repo: repo, Revision: "main", Path: "onnx/model_quantized.onnx"}},
	}
}

const bgeInstruction = "Represent this sentence for searching relevant passages: "

var registry = []Model{
	{
		Name: "bge-small-en-v1.5", ShortName: "bgesmall", DisplayName: "BGE small (English)",
		Description: "Strong, small English model; the default.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32, Default: true,
		Kind: KindTransformer, Repo: "BAAI/bge-small-en-v1.5", Revision: "5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
		License: "MIT", Languages: "en",
		Pooling: PoolingCLS, Normalize: true, QueryPrefix: bgeInstruction,
		Files:    stFiles(File{Path: "1_Pooling/config.json", Optional: true}),
		Variants: onnxPair("Xenova/bge-small-en-v1.5"),
	},
	{
		Name: "all-MiniLM-L6-v2", ShortName: "minilml6", DisplayName: "MiniLM L6 (English)",
		Description: "Fastest general English model.",
		Dims:        384, MaxSeqLen: 256, DefaultChunkSize: 200, DefaultChunkOverlap: 24,
		Kind: KindTransformer, Repo: "sentence-transformers/all-MiniLM-L6-v2", Revision: "main",
		License: "Apache-2.0", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
		// Digests of the tokenizer and sentence-transformers files as
		// published; the weights are not pinned yet.
		Files: []File{
			{Path: "config.json", Size: 612, SHA256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"},
			{Path: "tokenizer.json", Size: 466247, SHA256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"},
			{Path: "tokenizer_config.json", Size: 350, SHA256: "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b"},
			{Path: "special_tokens_map.json", Size: 112, SHA256: "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3", Optional: true},
			{Path: "vocab.txt", Size: 231508, SHA256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", Optional: true},
			{Path: "modules.json", Size: 349, SHA256: "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf", Optional: true},
			{Path: "sentence_bert_config.json", Size: 53, SHA256: "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7", Optional: true},
			{Path: "config_sentence_transformers.json", Size: 116, SHA256: "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3", Optional: true},
			{Path: "1_Pooling/config.json", Size: 190, SHA256: "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23", Optional: true},
		},
		Variants: onnxPair("Xenova/all-MiniLM-L6-v2"),
	},
	{
		Name: "e5-small-v2", ShortName: "e5small", DisplayName: "E5 small v2 (English)",
		Description: "English model trained with query/passage prefixes.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		Kind: KindTransformer, Repo: "intfloat/e5-small-v2", Revision: "main",
		License: "MIT", Languages: "en",
		Pooling: PoolingMean, Normalize: true, QueryPrefix: "query: ", DocumentPrefix: "passage: ",
		Files:    stFiles(File{Path: "1_Pooling/config.json", Optional: true}),
		Variants: onnxPair("Xenova/e5-small-v2"),
	},
	{
		Name: "gte-small", ShortName: "gtesmall", DisplayName: "GTE small (English)",
		Description: "Small general-purpose English model.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		Kind: KindTransformer, Repo: "thenlper/gte-small", Revision: "main",
		License: "MIT", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
		Files:    stFiles(File{Path: "1_Pooling/config.json", Optional: true}),
		Variants: onnxPair("Xenova/gte-small"),
	},
	{
		Name: "multilingual-e5-small", ShortName: "me5small", DisplayName: "Multilingual E5 small",
		Description: "About 100 languages.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		Kind: KindTransformer, Repo: "intfloat/multilingual-e5-small", Revision: "main",
		License: "MIT", Languages: "multi",
		Pooling: PoolingMean, Normalize: true, QueryPrefix: "query: ", DocumentPrefix: "passage: ",
		Files: []File{
			{Path: "config.json"},
			{Path: "tokenizer.json"},
			{Path: "tokenizer_config.json"},
			{Path: "special_tokens_map.json", Optional: true},
			{Path: "modules.json", Optional: true},
			{Path: "sentence_bert_config.json", Optional: true},
			{Path: "1_Pooling/config.json", Optional: true},
		},
		Variants:    onnxPair("Xenova/multilingual-e5-small"),
		Unavailable: "needs the SentencePiece (Unigram) tokenizer, not implemented yet",
	},
	{
		Name: "glove-6b-100d", ShortName: "glove100", DisplayName: "GloVe word vectors (English)",
		Description: "Averaged word vectors: very fast on any CPU, weaker matching. Import from a folder.",
		Dims:        100, MaxSeqLen: 4096, DefaultChunkSize: 200, DefaultChunkOverlap: 24,
		Kind: KindStatic, License: "PDDL-1.0", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
	},
}

// List returns every registered model, default first.
func List() []Model {
	out := slices.Clone(registry)
	slices.SortStableFunc(out, func(a, b Model) int {
		switch {
		case a.Default == b.Default:
			return 0
		case a.Default:
			return -1
		default:
			return 1
		}
	})
	return out
}

// Lookup finds a registered model by name.
func Lookup(name string) (Model, bool) {
	for _, m := range registry {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}

// Default returns the model new collections use unless told otherwise.
func Default() Model {
	for _, m := range registry {
		if m.Default {
			return m
		}
	}
	return registry[0]
}
