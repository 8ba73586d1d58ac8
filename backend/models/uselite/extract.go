package uselite

import (
	"fmt"
	"slices"
)

// model is what the ONNX graph needs from the TF.js graph: every weight,
// and the constants that fix its arithmetic.
type model struct {
	vocabRows, width int     // embedding table [vocabRows, width]
	embedding        *tensor // [vocabRows, width]
	timescales       *tensor // [1, width/2]: position × timescale → sin | cos
	maskBias         float32 // added to attention logits of padding
	maxLen           int
	layers           []layer
	poolMin          float32 // divisor floor of the masked mean
	head             dense   // tanh layer
	l2Floor          float32 // floor of the squared norm
	dims             int
}

type layer struct {
	width, out, heads, depth int
	norm1, norm2             norm
	qkv                      dense // [width, 3·width]
	split                    []int
	qScale                   float32
	proj                     dense  // [width, out]
	residual                 *dense // layer 0: the residual goes through [width, out]
	ffn1, ffn2               dense
}

type dense struct{ w, b *tensor }

type norm struct {
	scale, bias *tensor
	eps         float32
}

// Name prefixes of the TF.js graph.
const (
	pApply = "module_apply_default/Encoder_en/KonaTransformer/"
	pStack = pApply + "Encode/TransformerStack/"
	pHead  = "module_apply_default/Encoder_en/hidden_layers/"
)

// extract reads the model out of g, checking the graph computes what the
// ONNX graph will: the embedding added twice (once plain, once with the
// timing signal), pre-LayerNorm blocks with the residual of layer 0
// through a dense layer, masked mean pooling, a tanh layer and an L2
// norm.
func extract(g *tfGraph) (*model, error) {
	r := &reader{g: g}
	m := &model{}

	// Inputs: sparse ids, clipped to the first maxLen positions.
	r.node("indices", "Placeholder")
	r.node("values", "Placeholder")
	m.maxLen = r.scalarI32(r.in(pApply+"ClipToMaxLength/Less", "Less", 1))

	// The embedding, scattered to [batch, tokens, width].
	lookup := pApply + "Encode/embedding_lookup"
	embName := r.in(lookup, "GatherV2", 0)
	emb := r.weightF32(embName, 2)
	m.embedding, m.vocabRows, m.width = emb, emb.shape[0], emb.shape[1]
	scattered := pApply + "Encode/Scatter/ScatterNd"
	if r.in(scattered, "ScatterNd", 1) != lookup {
		r.fail("%s does not scatter the embedding", scattered)
	}

	// Layer 0's input is the embedding plus (embedding + timing signal).
	ts := pStack + "Layer_0/AddTimingSignal/"
	r.inputs(pStack+"Layer_0/add", "Add", scattered, ts+"Scatter/ScatterNd")
	if r.in(ts+"Scatter/ScatterNd", "ScatterNd", 1) != ts+"add" {
		r.fail("%s does not scatter the timed embedding", ts+"Scatter/ScatterNd")
	}
	r.inputs(ts+"add", "Add", ts+"Gather/GatherNd", ts+"TimingSignal/concat")
	if r.in(ts+"Gather/GatherNd", "GatherNd", 0) != scattered {
		r.fail("the timing signal is not added to the embedding")
	}
	sig := ts + "TimingSignal/"
	if r.in(sig+"concat", "ConcatV2", 0) != sig+"Sin" || r.in(sig+"concat", "ConcatV2", 1) != sig+"Cos" {
		r.fail("the timing signal is not sin then cos")
	}
	r.inputs(sig+"Sin", "Sin", sig+"mul_2")
	r.inputs(sig+"Cos", "Cos", sig+"mul_2")
	if r.in(sig+"mul_2", "Mul", 0) != sig+"ExpandDims" {
		r.fail("the timing signal does not scale positions")
	}
	m.timescales = r.weight(r.in(sig+"mul_2", "Mul", 1), "float32", 1, m.width/2)

	// The padding mask: ids present in the dense matrix.
	mask := pApply + "Encode/Greater"
	r.node(mask, "Greater")

	input := pStack + "Layer_0/add"
	for l := 0; l < 2; l++ {
		ly, out := readLayer(r, l, input, mask, &m.maskBias)
		m.layers = append(m.layers, ly)
		input = out
	}

	// Masked mean pooling over the last layer's output.
	r.inputs(pApply+"mul", "Mul", input, pApply+"ExpandDims")
	r.inputs(pApply+"ExpandDims", "ExpandDims", pApply+"ToFloat", r.in(pApply+"ExpandDims", "ExpandDims", 1))
	if r.in(pApply+"ToFloat", "Cast", 0) != pApply+"SequenceMask/Less" {
		r.fail("pooling is not masked by sequence length")
	}
	r.inputs(pApply+"div", "RealDiv", pApply+"Sum", pApply+"ExpandDims_1")
	if r.in(pApply+"Sum", "Sum", 0) != pApply+"mul" {
		r.fail("pooling does not sum the masked outputs")
	}
	if r.in(pApply+"ExpandDims_1", "ExpandDims", 0) != pApply+"ToFloat_1" ||
		r.in(pApply+"ToFloat_1", "Cast", 0) != pApply+"Maximum" ||
		r.in(pApply+"Maximum", "Maximum", 0) != pStack+"MaskLength/Sum" {
		r.fail("pooling does not divide by the token count")
	}
	m.poolMin = float32(r.scalarI32(r.in(pApply+"Maximum", "Maximum", 1)))

	// tanh(pooled · W + b), then L2-normalised.
	if r.in(pHead+"tanh_layer_0/MatMul", "MatMul", 0) != pApply+"div" {
		r.fail("the tanh layer does not read the pooled vector")
	}
	hw := r.weightF32(r.in(pHead+"tanh_layer_0/MatMul", "MatMul", 1), 2)
	m.dims = hw.shape[1]
	m.head = dense{w: hw, b: r.weight(r.in(pHead+"tanh_layer_0/BiasAdd", "BiasAdd", 1), "float32", m.dims)}
	r.inputs(pHead+"tanh_layer_0/Tanh", "Tanh", pHead+"tanh_layer_0/BiasAdd")
	l2 := pHead + "l2_normalize"
	r.inputs(l2+"/Square", "Square", pHead+"tanh_layer_0/Tanh")
	if r.in(l2+"/Sum", "Sum", 0) != l2+"/Square" || r.in(l2+"/Maximum", "Maximum", 0) != l2+"/Sum" {
		r.fail("the output is not L2-normalised")
	}
	m.l2Floor = r.scalarF32(r.in(l2+"/Maximum", "Maximum", 1))
	r.inputs(l2+"/Rsqrt", "Rsqrt", l2+"/Maximum")
	r.inputs(l2, "Mul", pHead+"tanh_layer_0/Tanh", l2+"/Rsqrt")

	if r.err != nil {
		return nil, r.err
	}
	last := m.layers[len(m.layers)-1]
	switch {
	case m.maxLen <= 0 || m.maxLen > 4096:
		return nil, fmt.Errorf("%w: maximum length %d", errGraph, m.maxLen)
	case hw.shape[0] != last.out:
		return nil, fmt.Errorf("%w: the tanh layer reads %d values, the encoder gives %d", errGraph, hw.shape[0], last.out)
	case m.width%2 != 0:
		return nil, fmt.Errorf("%w: odd embedding width %d", errGraph, m.width)
	}
	return m, nil
}

// readLayer reads Transformer layer l, whose input is the node called
// input, and returns it with the name of its output. The attention bias
// of padding is shared by every layer.
func readLayer(r *reader, l int, input, mask string, maskBias *float32) (layer, string) {
	tl := pStack + "Layer_" + itoa(l) + "/TransformerLayer/"
	var ly layer

	// Pre-norm self-attention.
	ly.norm1 = readNorm(r, tl+"layer_prepostprocess/layer_norm/", input)
	att := tl + "MultiheadAttention/"
	r.inputs(att+"ExpandDims", "ExpandDims", tl+"layer_prepostprocess/layer_norm/add_1", r.in(att+"ExpandDims", "ExpandDims", 1))
	r.inputs(att+"qkv_transform_single/Conv2D", "Conv2D", att+"ExpandDims", r.in(att+"qkv_transform_single/Conv2D", "Conv2D", 1))
	qkv := r.weightF32(r.in(att+"qkv_transform_single/Conv2D", "Conv2D", 1), 4)
	ly.width = qkv.shape[2]
	if qkv.shape[0] != 1 || qkv.shape[1] != 1 || qkv.shape[3] != 3*ly.width {
		r.fail("layer %d: qkv kernel has shape %v", l, qkv.shape)
	}
	ly.qkv = dense{w: qkv, b: r.weight(r.in(att+"qkv_transform_single/BiasAdd", "BiasAdd", 1), "float32", 3*ly.width)}
	r.inputs(att+"Squeeze", "Squeeze", att+"qkv_transform_single/BiasAdd")
	if r.in(att+"split", "SplitV", 0) != att+"Squeeze" {
		r.fail("layer %d: q, k and v are not split from one projection", l)
	}
	ly.split = r.ints(r.in(att+"split", "SplitV", 1))
	if !slices.Equal(ly.split, []int{ly.width, ly.width, ly.width}) {
		r.fail("layer %d: q, k, v split as %v", l, ly.split)
	}
	// split:0 is the query, split:1 the key, split:2 the value.
	for i, part := range []string{"split_heads", "split_heads_1", "split_heads_2"} {
		src := att + "split"
		if i > 0 {
			src += ":" + itoa(i)
		}
		if trimPort(r.in(att+part+"/split_last_dimension/Reshape", "Reshape", 0)) != src {
			r.fail("layer %d: %s does not read %s", l, part, src)
		}
		if perm := r.ints(r.in(att+part+"/transpose", "Transpose", 1)); !slices.Equal(perm, []int{0, 2, 1, 3}) {
			r.fail("layer %d: heads transposed by %v", l, perm)
		}
	}
	shape := att + "split_heads/split_last_dimension/Reshape/shape"
	ly.heads = r.scalarI32(r.in(shape, "Pack", 2))
	ly.depth = r.scalarI32(r.in(shape, "Pack", 3))
	if ly.heads <= 0 || ly.heads*ly.depth != ly.width {
		r.fail("layer %d: %d heads of %d for width %d", l, ly.heads, ly.depth, ly.width)
	}
	r.inputs(att+"mul", "Mul", att+"split_heads/transpose", r.in(att+"mul", "Mul", 1))
	ly.qScale = r.scalarF32(r.in(att+"mul", "Mul", 1))

	dpa := att + "DotProductAttention/BaseDotProductAttention/"
	r.inputs(dpa+"MatMul", "BatchMatMul", att+"mul", att+"split_heads_1/transpose")
	if !r.attrBool(dpa+"MatMul", "BatchMatMul", "adj_y") || r.attrBool(dpa+"MatMul", "BatchMatMul", "adj_x") {
		r.fail("layer %d: logits are not q · kᵀ", l)
	}
	bias := r.in(dpa+"add", "Add", 1)
	r.inputs(dpa+"add", "Add", dpa+"MatMul", bias)
	*maskBias = readMaskBias(r, bias, mask)
	r.inputs(dpa+"Reshape", "Reshape", dpa+"add", r.in(dpa+"Reshape", "Reshape", 1))
	r.inputs(dpa+"Softmax", "Softmax", dpa+"Reshape")
	r.inputs(dpa+"attention_weights", "Reshape", dpa+"Softmax", dpa+"Shape_1")
	r.inputs(dpa+"MatMul_1", "BatchMatMul", dpa+"attention_weights", att+"split_heads_2/transpose")
	if r.attrBool(dpa+"MatMul_1", "BatchMatMul", "adj_y") || r.attrBool(dpa+"MatMul_1", "BatchMatMul", "adj_x") {
		r.fail("layer %d: the attention output is not weights · v", l)
	}
	r.inputs(att+"combine_heads/transpose", "Transpose", dpa+"MatMul_1", r.in(att+"combine_heads/transpose", "Transpose", 1))
	if perm := r.ints(r.in(att+"combine_heads/transpose", "Transpose", 1)); !slices.Equal(perm, []int{0, 2, 1, 3}) {
		r.fail("layer %d: heads combined by %v", l, perm)
	}
	r.inputs(att+"ExpandDims_1", "ExpandDims", att+"combine_heads/combine_last_two_dimensions/Reshape", r.in(att+"ExpandDims_1", "ExpandDims", 1))
	if r.in(att+"combine_heads/combine_last_two_dimensions/Reshape", "Reshape", 0) != att+"combine_heads/transpose" {
		r.fail("layer %d: heads are not combined", l)
	}
	proj := r.weightF32(r.in(att+"output_transform_single/Conv2D", "Conv2D", 1), 4)
	ly.out = proj.shape[3]
	if proj.shape[0] != 1 || proj.shape[1] != 1 || proj.shape[2] != ly.width {
		r.fail("layer %d: output kernel has shape %v", l, proj.shape)
	}
	r.inputs(att+"output_transform_single/Conv2D", "Conv2D", att+"ExpandDims_1", r.in(att+"output_transform_single/Conv2D", "Conv2D", 1))
	ly.proj = dense{w: proj, b: r.weight(r.in(att+"output_transform_single/BiasAdd", "BiasAdd", 1), "float32", ly.out)}
	r.inputs(att+"Squeeze_1", "Squeeze", att+"output_transform_single/BiasAdd")

	// Residual: the layer's input, through a dense layer where the width
	// changes (layer 0: 256 → 512).
	sum := tl + "layer_postprocess/add"
	res := r.in(sum, "Add", 1)
	r.inputs(sum, "Add", att+"Squeeze_1", res)
	if res == input {
		if ly.width != ly.out {
			r.fail("layer %d: plain residual from width %d to %d", l, ly.width, ly.out)
		}
	} else {
		adj := tl + "AdjustResidualInput/"
		if res != adj+"Scatter/ScatterNd" || r.in(res, "ScatterNd", 1) != adj+"dense/BiasAdd" {
			r.fail("layer %d: residual %s is neither the input nor its dense projection", l, res)
		}
		r.inputs(adj+"dense/BiasAdd", "BiasAdd", adj+"dense/MatMul", r.in(adj+"dense/BiasAdd", "BiasAdd", 1))
		r.inputs(adj+"dense/MatMul", "MatMul", adj+"Gather/GatherNd", r.in(adj+"dense/MatMul", "MatMul", 1))
		if r.in(adj+"Gather/GatherNd", "GatherNd", 0) != input {
			r.fail("layer %d: the residual projection does not read the layer input", l)
		}
		ly.residual = &dense{
			w: r.weight(r.in(adj+"dense/MatMul", "MatMul", 1), "float32", ly.width, ly.out),
			b: r.weight(r.in(adj+"dense/BiasAdd", "BiasAdd", 1), "float32", ly.out),
		}
	}

	// Pre-norm ReLU feed-forward with its own residual.
	ffn := tl + "FFN/"
	ly.norm2 = readNorm(r, ffn+"layer_prepostprocess/layer_norm/", sum)
	r.inputs(ffn+"Gather/GatherNd", "GatherNd", ffn+"layer_prepostprocess/layer_norm/add_1", r.in(ffn+"Gather/GatherNd", "GatherNd", 1))
	r.inputs(ffn+"ExpandDims", "ExpandDims", ffn+"Gather/GatherNd", r.in(ffn+"ExpandDims", "ExpandDims", 1))
	r.inputs(ffn+"conv1/Tensordot/Reshape", "Reshape", ffn+"ExpandDims", r.in(ffn+"conv1/Tensordot/Reshape", "Reshape", 1))
	r.inputs(ffn+"conv1/Tensordot/MatMul", "MatMul", ffn+"conv1/Tensordot/Reshape", r.in(ffn+"conv1/Tensordot/MatMul", "MatMul", 1))
	w1 := r.weightF32(r.in(ffn+"conv1/Tensordot/MatMul", "MatMul", 1), 2)
	hidden := w1.shape[1]
	if w1.shape[0] != ly.out {
		r.fail("layer %d: feed-forward reads %d values, want %d", l, w1.shape[0], ly.out)
	}
	r.inputs(ffn+"conv1/Tensordot", "Reshape", ffn+"conv1/Tensordot/MatMul", r.in(ffn+"conv1/Tensordot", "Reshape", 1))
	r.inputs(ffn+"conv1/BiasAdd", "BiasAdd", ffn+"conv1/Tensordot", r.in(ffn+"conv1/BiasAdd", "BiasAdd", 1))
	ly.ffn1 = dense{w: w1, b: r.weight(r.in(ffn+"conv1/BiasAdd", "BiasAdd", 1), "float32", hidden)}
	r.inputs(ffn+"conv1/Relu", "Relu", ffn+"conv1/BiasAdd")
	r.inputs(ffn+"conv2/Tensordot/Reshape", "Reshape", ffn+"conv1/Relu", r.in(ffn+"conv2/Tensordot/Reshape", "Reshape", 1))
	r.inputs(ffn+"conv2/Tensordot/MatMul", "MatMul", ffn+"conv2/Tensordot/Reshape", r.in(ffn+"conv2/Tensordot/MatMul", "MatMul", 1))
	r.inputs(ffn+"conv2/Tensordot", "Reshape", ffn+"conv2/Tensordot/MatMul", r.in(ffn+"conv2/Tensordot", "Reshape", 1))
	r.inputs(ffn+"conv2/BiasAdd", "BiasAdd", ffn+"conv2/Tensordot", r.in(ffn+"conv2/BiasAdd", "BiasAdd", 1))
	ly.ffn2 = dense{
		w: r.weight(r.in(ffn+"conv2/Tensordot/MatMul", "MatMul", 1), "float32", hidden, ly.out),
		b: r.weight(r.in(ffn+"conv2/BiasAdd", "BiasAdd", 1), "float32", ly.out),
	}
	r.inputs(ffn+"Squeeze", "Squeeze", ffn+"conv2/BiasAdd")
	if r.in(ffn+"Scatter/ScatterNd", "ScatterNd", 1) != ffn+"Squeeze" {
		r.fail("layer %d: the feed-forward output is not scattered back", l)
	}
	out := ffn + "layer_postprocess/add"
	r.inputs(out, "Add", ffn+"Scatter/ScatterNd", sum)
	return ly, out
}

// readNorm reads a layer norm at prefix over x: scale · rsqrt(var + eps)
// · (x − mean) + bias.
func readNorm(r *reader, prefix, x string) norm {
	r.inputs(prefix+"Mean", "Mean", x, r.in(prefix+"Mean", "Mean", 1))
	r.inputs(prefix+"sub_1", "Sub", x, prefix+"Mean")
	r.inputs(prefix+"Square", "Square", prefix+"sub_1")
	r.inputs(prefix+"Mean_1", "Mean", prefix+"Square", r.in(prefix+"Mean_1", "Mean", 1))
	for _, mean := range []string{prefix + "Mean", prefix + "Mean_1"} {
		if axes := r.ints(r.in(mean, "Mean", 1)); !slices.Equal(axes, []int{-1}) {
			r.fail("%s averages over axes %v", mean, axes)
		}
	}
	eps := r.in(prefix+"add", "Add", 1)
	r.inputs(prefix+"add", "Add", prefix+"Mean_1", eps)
	r.inputs(prefix+"Rsqrt", "Rsqrt", prefix+"add")
	scale := r.in(prefix+"mul", "Mul", 0)
	r.inputs(prefix+"mul", "Mul", scale, prefix+"Rsqrt")
	r.inputs(prefix+"mul_1", "Mul", prefix+"mul", prefix+"sub_1")
	bias := r.in(prefix+"add_1", "Add", 1)
	r.inputs(prefix+"add_1", "Add", prefix+"mul_1", bias)
	s := r.weightF32(scale, 1)
	return norm{scale: s, bias: r.weight(bias, "float32", s.shape...), eps: r.scalarF32(eps)}
}

// readMaskBias follows the attention bias back to the padding mask: it
// is (not mask) × a large negative constant, which it returns.
func readMaskBias(r *reader, bias, mask string) float32 {
	e1 := r.in(bias, "ExpandDims", 0)
	mul := r.in(e1, "ExpandDims", 0)
	toFloat := r.in(mul, "Mul", 0)
	not := r.in(toFloat, "Cast", 0)
	if r.in(not, "LogicalNot", 0) != mask {
		r.fail("the attention bias is not taken from the padding mask")
	}
	v := r.scalarF32(r.in(mul, "Mul", 1))
	if v > -1e4 {
		r.fail("the attention bias of padding is %g", v)
	}
	return v
}
