package uselite

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Bounds on what a model.json may ask for, so that a hostile file
// cannot make the converter allocate without limit.
const (
	maxModelJSON   = 16 << 20
	maxWeightBytes = 256 << 20
)

// tfGraph is a TF.js graph model: its nodes by name and the values of
// its weights (the Const nodes the weights manifest lists).
type tfGraph struct {
	nodes   map[string]*tfNode
	weights map[string]*tensor
}

type tfNode struct {
	Name  string                     `json:"name"`
	Op    string                     `json:"op"`
	Input []string                   `json:"input"`
	Attr  map[string]json.RawMessage `json:"attr"`
}

// tensor is a weight as stored: little-endian bytes of its dtype.
type tensor struct {
	dtype string // "float32" or "int32"
	shape []int
	raw   []byte
}

func (t *tensor) f32(i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
}

func (t *tensor) i32(i int) int32 { return int32(binary.LittleEndian.Uint32(t.raw[4*i:])) }

type modelJSON struct {
	Format        string `json:"format"`
	ModelTopology struct {
		Node []*tfNode `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string          `json:"name"`
			Shape        []int           `json:"shape"`
			Dtype        string          `json:"dtype"`
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

// readGraph reads dir/dist/model.json and the weight shards it names,
// which must be the package's own (ShardPaths).
func readGraph(dir string) (*tfGraph, error) {
	b, err := readCapped(filepath.Join(dir, filepath.FromSlash(ModelJSON)), maxModelJSON)
	if err != nil {
		return nil, err
	}
	var m modelJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ModelJSON, err)
	}
	if m.Format != "" && m.Format != "graph-model" {
		return nil, fmt.Errorf("%s is a TF.js %q, want a graph model", ModelJSON, m.Format)
	}
	g := &tfGraph{nodes: make(map[string]*tfNode, len(m.ModelTopology.Node)), weights: map[string]*tensor{}}
	for _, n := range m.ModelTopology.Node {
		if n == nil || n.Name == "" {
			return nil, fmt.Errorf("%s: a node has no name", ModelJSON)
		}
		if g.nodes[n.Name] != nil {
			return nil, fmt.Errorf("%s: node %q is defined twice", ModelJSON, n.Name)
		}
		g.nodes[n.Name] = n
	}
	var shards []string
	for _, grp := range m.WeightsManifest {
		shards = append(shards, grp.Paths...)
	}
	want := make([]string, len(ShardPaths))
	for i, p := range ShardPaths {
		want[i] = path.Base(p)
	}
	if !slices.Equal(shards, want) {
		return nil, fmt.Errorf("%s names weight shards %v, want %v", ModelJSON, shards, want)
	}
	for _, grp := range m.WeightsManifest {
		var data []byte
		for _, p := range grp.Paths {
			sb, err := readCapped(filepath.Join(dir, "dist", p), maxWeightBytes-int64(len(data)))
			if err != nil {
				return nil, err
			}
			data = append(data, sb...)
		}
		off := 0
		for _, w := range grp.Weights {
			if len(w.Quantization) > 0 && string(w.Quantization) != "null" {
				return nil, fmt.Errorf("%s: weight %s is quantized; only float32 weights are supported", ModelJSON, w.Name)
			}
			if w.Dtype != "float32" && w.Dtype != "int32" {
				return nil, fmt.Errorf("%s: weight %s has dtype %q", ModelJSON, w.Name, w.Dtype)
			}
			n := 1
			for _, d := range w.Shape {
				if d < 0 || d > maxWeightBytes || n*max(d, 1) > maxWeightBytes {
					return nil, fmt.Errorf("%s: weight %s has shape %v", ModelJSON, w.Name, w.Shape)
				}
				n *= d
			}
			if off+4*n > len(data) {
				return nil, fmt.Errorf("%s: weight %s runs past the end of its shards", ModelJSON, w.Name)
			}
			if g.weights[w.Name] != nil {
				return nil, fmt.Errorf("%s: weight %s is listed twice", ModelJSON, w.Name)
			}
			g.weights[w.Name] = &tensor{dtype: w.Dtype, shape: slices.Clone(w.Shape), raw: data[off : off+4*n]}
			off += 4 * n
		}
		if off != len(data) {
			return nil, fmt.Errorf("%s: the weights take %d bytes of %d in their shards", ModelJSON, off, len(data))
		}
	}
	return g, nil
}

// readCapped reads a file of at most limit bytes.
func readCapped(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, limit)
	}
	return b, nil
}

// reader walks a tfGraph, checking what it expects to find and keeping
// the first mismatch, so the walk itself reads as the graph's structure.
type reader struct {
	g   *tfGraph
	err error
}

var errGraph = errors.New("the TF.js graph is not the USE-lite graph this converter knows")

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errGraph, fmt.Sprintf(format, args...))
	}
}

// node returns the node called name, which must run op.
func (r *reader) node(name, op string) *tfNode {
	n := r.g.nodes[name]
	switch {
	case n == nil:
		r.fail("no node %s", name)
		return &tfNode{Name: name, Op: op}
	case n.Op != op:
		r.fail("node %s is %s, want %s", name, n.Op, op)
	}
	return n
}

// in returns the name of input i of node name (running op).
func (r *reader) in(name, op string, i int) string {
	n := r.node(name, op)
	if i >= len(n.Input) {
		r.fail("node %s has %d inputs, want more than %d", name, len(n.Input), i)
		return ""
	}
	return n.Input[i]
}

// inputs checks that node name runs op on exactly the inputs want.
func (r *reader) inputs(name, op string, want ...string) {
	n := r.node(name, op)
	if r.err == nil && !slices.Equal(n.Input, want) {
		r.fail("node %s reads %v, want %v", name, n.Input, want)
	}
}

// attrBool reads a boolean attribute of node name.
func (r *reader) attrBool(name, op, attr string) bool {
	n := r.node(name, op)
	var v struct {
		B bool `json:"b"`
	}
	if raw, ok := n.Attr[attr]; !ok || json.Unmarshal(raw, &v) != nil {
		if r.err == nil {
			r.fail("node %s has no boolean %s", name, attr)
		}
	}
	return v.B
}

// weight returns the Const node called name, with the given shape.
func (r *reader) weight(name, dtype string, shape ...int) *tensor {
	r.node(name, "Const")
	t := r.g.weights[name]
	switch {
	case t == nil:
		r.fail("no weight %s", name)
		return &tensor{dtype: dtype, shape: shape, raw: make([]byte, 4*prod(shape))}
	case t.dtype != dtype || !slices.Equal(t.shape, shape):
		r.fail("weight %s is %s%v, want %s%v", name, t.dtype, t.shape, dtype, shape)
		return &tensor{dtype: dtype, shape: shape, raw: make([]byte, 4*prod(shape))}
	}
	return t
}

// weightF32 returns a float32 weight whose shape is not known in
// advance, checking its rank.
func (r *reader) weightF32(name string, rank int) *tensor {
	r.node(name, "Const")
	t := r.g.weights[name]
	if t == nil || t.dtype != "float32" || len(t.shape) != rank {
		r.fail("weight %s is missing or not a float32 tensor of rank %d", name, rank)
		return &tensor{dtype: "float32", shape: make([]int, rank)}
	}
	return t
}

// scalarF32 and scalarI32 read constants of shape [] (or [1]).
func (r *reader) scalarF32(name string) float32 {
	t := r.scalar(name, "float32")
	if t == nil {
		return 0
	}
	return t.f32(0)
}

func (r *reader) scalarI32(name string) int {
	t := r.scalar(name, "int32")
	if t == nil {
		return 0
	}
	return int(t.i32(0))
}

func (r *reader) scalar(name, dtype string) *tensor {
	r.node(name, "Const")
	t := r.g.weights[name]
	if t == nil || t.dtype != dtype || prod(t.shape) != 1 {
		r.fail("constant %s is missing or not one %s", name, dtype)
		return nil
	}
	return t
}

// ints reads an int32 vector constant.
func (r *reader) ints(name string) []int {
	r.node(name, "Const")
	t := r.g.weights[name]
	if t == nil || t.dtype != "int32" || len(t.shape) > 1 {
		r.fail("constant %s is missing or not an int32 vector", name)
		return nil
	}
	out := make([]int, prod(t.shape))
	for i := range out {
		out[i] = int(t.i32(i))
	}
	return out
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// itoa shortens fmt.Sprint for layer names.
func itoa(i int) string { return strconv.Itoa(i) }

// trimPort drops a ":0" output index, which TF leaves implicit.
func trimPort(s string) string { return strings.TrimSuffix(s, ":0") }
