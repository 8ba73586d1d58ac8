package uselite

import (
	"fmt"
	"os"
	"path/filepath"
)

// converterVersion changes whenever the ONNX graph Convert writes does,
// and is recorded in the model's metadata.
const converterVersion = "uselite-onnx/1"

// Info describes a converted model.
type Info struct {
	Dims      int
	MaxSeqLen int
	// VocabRows is the number of rows of the embedding table (ids the
	// model accepts).
	VocabRows int
	Layers    int
	Bytes     int
}

// Convert reads the TF.js release in dir (the npm package folder, which
// holds dist/model.json and its weight shards) and returns the ONNX model
// that computes the same embeddings on dense input:
//
//	input_ids      int64 [batch, tokens]   token ids, any padding id
//	attention_mask int64 [batch, tokens]   1 for a token, 0 for padding
//	sentence_embedding float32 [batch, 512] L2-normalised
//
// tokens must not exceed Info.MaxSeqLen (the model clips there). A row
// with no tokens gives a zero vector.
func Convert(dir string) ([]byte, Info, error) {
	g, err := readGraph(dir)
	if err != nil {
		return nil, Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	m, err := extract(g)
	if err != nil {
		return nil, Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	b := build(m)
	info := Info{Dims: m.dims, MaxSeqLen: m.maxLen, VocabRows: m.vocabRows, Layers: len(m.layers), Bytes: len(b)}
	return b, info, nil
}

// WriteModel converts the package in dir and writes dst (model.onnx)
// atomically.
func WriteModel(dir, dst string) (Info, error) {
	b, info, err := Convert(dir)
	if err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("convert use-lite: %w", err)
	}
	return info, nil
}

// build writes the dense ONNX graph of m.
func build(m *model) []byte {
	b := &builder{}
	const ids, mask = "input_ids", "attention_mask"
	i64 := func(dims []int64, v ...int64) string {
		b.seq++
		return b.i64(fmt.Sprintf("const_%d", b.seq), dims, v...)
	}
	f32 := func(v float32) string {
		b.seq++
		return b.f32(fmt.Sprintf("const_%d", b.seq), nil, v)
	}
	dense := func(x, name string, d dense, in, out int) string {
		w := b.weight(name+".weight", d.w.raw, int64(in), int64(out))
		bias := b.weight(name+".bias", d.b.raw, int64(out))
		return b.op("Add", []string{b.op("MatMul", []string{x, w}), bias})
	}

	// Timing signal for positions 0..tokens-1: sin(p·τ) | cos(p·τ).
	seq := b.op("Gather", []string{b.op("Shape", []string{ids}), i64(nil, 1)}, iattr("axis", 0))
	pos := b.op("Range", []string{i64(nil, 0), seq, i64(nil, 1)})
	posf := b.op("Unsqueeze", []string{b.op("Cast", []string{pos}, iattr("to", dtFloat)), i64([]int64{1}, 1)})
	tau := b.weight("timing.timescales", m.timescales.raw, 1, int64(m.width/2))
	angle := b.op("Mul", []string{posf, tau})
	signal := b.op("Concat", []string{b.op("Sin", []string{angle}), b.op("Cos", []string{angle})}, iattr("axis", 1))

	// Layer 0's input, as the TF.js graph sums it: E[id] + (E[id] + signal).
	emb := b.weight("embedding.weight", m.embedding.raw, int64(m.vocabRows), int64(m.width))
	e := b.op("Gather", []string{emb, ids}, iattr("axis", 0))
	x := b.op("Add", []string{e, b.op("Add", []string{e, signal})})

	// Padding: an additive bias on attention logits, a mask for pooling.
	maskf := b.op("Cast", []string{mask}, iattr("to", dtFloat))
	pad := b.op("Sub", []string{f32(1), maskf})
	bias := b.op("Unsqueeze", []string{b.op("Mul", []string{pad, f32(m.maskBias)}), i64([]int64{2}, 1, 2)})

	for l, ly := range m.layers {
		name := fmt.Sprintf("layer%d", l)
		in := x
		h := layerNorm(b, in, name+".norm1", ly.norm1)
		qkv := dense(h, name+".qkv", ly.qkv, ly.width, 3*ly.width)
		split := i64([]int64{3}, int64(ly.split[0]), int64(ly.split[1]), int64(ly.split[2]))
		parts := b.opN("Split", []string{qkv, split}, 3, iattr("axis", 2))
		heads := i64([]int64{4}, 0, 0, int64(ly.heads), int64(ly.depth))
		q := b.op("Transpose", []string{b.op("Reshape", []string{parts[0], heads})}, intsAttr("perm", 0, 2, 1, 3))
		q = b.op("Mul", []string{q, f32(ly.qScale)})
		kT := b.op("Transpose", []string{b.op("Reshape", []string{parts[1], heads})}, intsAttr("perm", 0, 2, 3, 1))
		v := b.op("Transpose", []string{b.op("Reshape", []string{parts[2], heads})}, intsAttr("perm", 0, 2, 1, 3))
		logits := b.op("Add", []string{b.op("MatMul", []string{q, kT}), bias})
		att := b.op("MatMul", []string{b.op("Softmax", []string{logits}, iattr("axis", -1)), v})
		att = b.op("Transpose", []string{att}, intsAttr("perm", 0, 2, 1, 3))
		att = b.op("Reshape", []string{att, i64([]int64{3}, 0, 0, int64(ly.width))})
		att = dense(att, name+".proj", ly.proj, ly.width, ly.out)
		res := in
		if ly.residual != nil {
			res = dense(in, name+".residual", *ly.residual, ly.width, ly.out)
		}
		y := b.op("Add", []string{att, res})
		f := layerNorm(b, y, name+".norm2", ly.norm2)
		hidden := ly.ffn1.w.shape[1]
		f = b.op("Relu", []string{dense(f, name+".ffn1", ly.ffn1, ly.out, hidden)})
		f = dense(f, name+".ffn2", ly.ffn2, hidden, ly.out)
		x = b.op("Add", []string{f, y})
	}

	// Masked mean, tanh layer, L2 norm; a text with no tokens gives zeros.
	sum := b.op("ReduceSum", []string{b.op("Mul", []string{x, b.op("Unsqueeze", []string{maskf, i64([]int64{1}, 2)})}), i64([]int64{1}, 1)},
		iattr("keepdims", 0))
	count := b.op("ReduceSum", []string{maskf, i64([]int64{1}, 1)}, iattr("keepdims", 1))
	mean := b.op("Div", []string{sum, b.op("Max", []string{count, f32(m.poolMin)})})
	last := m.layers[len(m.layers)-1]
	t := b.op("Tanh", []string{dense(mean, "head", m.head, last.out, m.dims)})
	t = b.op("Mul", []string{t, b.op("Min", []string{count, f32(1)})})
	sq := b.op("ReduceSum", []string{b.op("Mul", []string{t, t}), i64([]int64{1}, 1)}, iattr("keepdims", 1))
	norm := b.op("Sqrt", []string{b.op("Max", []string{sq, f32(m.l2Floor)})})
	b.node("output", "Div", []string{t, norm}, []string{Output})

	batch, tokens := dim{param: "batch"}, dim{param: "tokens"}
	inputs := [][]byte{valueInfo(ids, dtInt64, batch, tokens), valueInfo(mask, dtInt64, batch, tokens)}
	outputs := [][]byte{valueInfo(Output, dtFloat, batch, dim{size: int64(m.dims)})}
	doc := "Universal Sentence Encoder lite (Cer et al., 2018), converted by Quarry from the TF.js release in npm " +
		PackageName + "@" + PackageVersion + " (Apache-2.0): dense ids and mask in, one L2-normalised vector per row out."
	meta := [][2]string{
		{"source", "npm:" + PackageName + "@" + PackageVersion},
		{"source_integrity", PackageIntegrity},
		{"converter", converterVersion},
		{"max_seq_len", fmt.Sprint(m.maxLen)},
		{"license", "Apache-2.0"},
	}
	return b.model("use_lite", doc, inputs, outputs, meta)
}

// layerNorm is LayerNormalization over the last axis with the graph's
// scale, bias and epsilon.
func layerNorm(b *builder, x, name string, n norm) string {
	w := int64(n.scale.shape[0])
	scale := b.weight(name+".scale", n.scale.raw, w)
	bias := b.weight(name+".bias", n.bias.raw, w)
	return b.op("LayerNormalization", []string{x, scale, bias}, iattr("axis", -1), fattr("epsilon", n.eps))
}
