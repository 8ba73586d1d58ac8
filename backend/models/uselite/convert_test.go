package uselite

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/quarry-search/quarry/backend/fixtures"
)

// pkgDir is the unpacked npm package (build/scripts/setup.sh test
// installs it; QUARRY_USE_LITE_DIR points elsewhere).
func pkgDir(tb testing.TB) string {
	tb.Helper()
	d := FindPackage()
	if d == "" {
		fixtures.Missing(tb, "npm %s@%s (run build/scripts/setup.sh test, or set %s)", PackageName, PackageVersion, EnvDir)
	}
	return d
}

type goldenCase struct {
	Text      string    `json:"text"`
	IDs       []int64   `json:"ids"`
	Embedding []float32 `json:"embedding"`
}

func golden(tb testing.TB) []goldenCase {
	tb.Helper()
	b, err := os.ReadFile(fixtures.Need(tb, filepath.Join(fixtures.Dir(tb), "models", "use-lite", "golden.json")))
	if err != nil {
		tb.Fatal(err)
	}
	var g struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	return g.Cases
}

func TestConvert(t *testing.T) {
	dir := pkgDir(t)
	a, info, err := Convert(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Dims != Dims || info.MaxSeqLen != MaxSeqLen || info.VocabRows != 8002 || info.Layers != 2 {
		t.Errorf("info = %+v", info)
	}
	b, _, err := Convert(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two conversions of the same package differ")
	}
}

// TestConvertRefusesOtherGraphs edits the package's model.json: a graph
// that differs where it matters must be refused, never converted into
// something else.
func TestConvertRefusesOtherGraphs(t *testing.T) {
	src := pkgDir(t)
	orig, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(ModelJSON)))
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(string) string{
		"relu becomes gelu": func(s string) string {
			return strings.Replace(s, `"op":"Relu"`, `"op":"Gelu"`, 1)
		},
		"cos before sin": func(s string) string {
			return strings.Replace(s, `TimingSignal/Sin","module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/Cos"`,
				`TimingSignal/Cos","module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/Sin"`, 1)
		},
		"a shard less": func(s string) string {
			return strings.Replace(s, `,"group1-shard7of7"`, ``, 1)
		},
		"not json": func(string) string { return "{" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			edited := edit(compactJSON(t, orig))
			if edited == compactJSON(t, orig) && name != "not json" {
				t.Fatal("edit changed nothing")
			}
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
			os.WriteFile(filepath.Join(dir, filepath.FromSlash(ModelJSON)), []byte(edited), 0o644)
			for _, p := range ShardPaths {
				if err := os.Symlink(filepath.Join(src, filepath.FromSlash(p)), filepath.Join(dir, filepath.FromSlash(p))); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := Convert(dir); err == nil {
				t.Error("converted")
			} else if name != "not json" && name != "a shard less" && !errors.Is(err, errGraph) {
				t.Errorf("err = %v, want errGraph", err)
			}
		})
	}
}

func compactJSON(tb testing.TB, b []byte) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

// TestConvertedGraphMatchesGolden runs the converted model on the golden
// token ids, batched with padding, through ONNX Runtime.
func TestConvertedGraphMatchesGolden(t *testing.T) {
	dir := pkgDir(t)
	lib := os.Getenv("QUARRY_ORT_LIB")
	if lib == "" {
		fixtures.Missing(t, "QUARRY_ORT_LIB not set")
	}
	cases := golden(t)
	onnx, _, err := Convert(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), ONNXFile)
	if err := os.WriteFile(path, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSession(path, []string{"input_ids", "attention_mask"}, []string{Output}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()

	// All rows in one padded batch: padding must not leak into any row.
	var rows [][]int64
	for _, c := range cases {
		ids := c.IDs
		if len(ids) > MaxSeqLen {
			ids = ids[:MaxSeqLen]
		}
		rows = append(rows, ids)
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	ids := make([]int64, len(rows)*width)
	mask := make([]int64, len(rows)*width)
	for i, r := range rows {
		for j := range width {
			if j < len(r) {
				ids[i*width+j], mask[i*width+j] = r[j], 1
			} else {
				ids[i*width+j] = 7 // any id: padding is masked
			}
		}
	}
	shape := ort.NewShape(int64(len(rows)), int64(width))
	in1, _ := ort.NewTensor(shape, ids)
	in2, _ := ort.NewTensor(shape, mask)
	defer in1.Destroy()
	defer in2.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(len(rows)), Dims))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Destroy()
	if err := sess.Run([]ort.Value{in1, in2}, []ort.Value{out}); err != nil {
		t.Fatal(err)
	}
	got := out.GetData()
	worst := 0.0
	for i, c := range cases {
		v := got[i*Dims : (i+1)*Dims]
		if c.Embedding == nil {
			for _, x := range v {
				if x != 0 {
					t.Errorf("%q (no tokens): want a zero vector, got %v...", c.Text, v[:4])
					break
				}
			}
			continue
		}
		d := 0.0
		for j, x := range v {
			d = max(d, math.Abs(float64(x-c.Embedding[j])))
		}
		worst = max(worst, d)
		if d > 1e-4 {
			t.Errorf("%q: max abs error %.3g", c.Text, d)
		}
	}
	t.Logf("max abs error over %d golden embeddings: %.3g", len(cases), worst)
}
