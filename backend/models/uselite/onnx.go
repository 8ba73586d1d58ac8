package uselite

import (
	"encoding/binary"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// ONNX protobuf field numbers (onnx.proto3) and enum values used here.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelProducerVer   = 3
	modelDocString     = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrInts   = 8
	attrType   = 20
	attrFLOAT  = 1
	attrINT    = 2
	attrINTS   = 7
	tensorDims = 1
	tensorType = 2
	tensorName = 8
	tensorRaw  = 9

	valueName      = 1
	valueType      = 2
	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	dimParam       = 2

	dtFloat = 1
	dtInt64 = 7
)

// IR version 8 goes with opset 17, which has LayerNormalization and is
// supported by every ONNX Runtime Quarry can load.
const (
	irVersion = 8
	opset     = 17
)

// builder assembles an ONNX graph: nodes in order, initializers, and
// unique value names.
type builder struct {
	nodes, inits [][]byte
	seq          int
}

// attr is one node attribute.
type attr struct {
	name string
	i    *int64
	f    *float32
	ints []int64
}

func iattr(name string, v int64) attr       { return attr{name: name, i: &v} }
func fattr(name string, v float32) attr     { return attr{name: name, f: &v} }
func intsAttr(name string, v ...int64) attr { return attr{name: name, ints: v} }

// op adds a node with one output and returns that output's name.
func (b *builder) op(op string, ins []string, attrs ...attr) string {
	return b.opN(op, ins, 1, attrs...)[0]
}

// opN adds a node with n outputs.
func (b *builder) opN(op string, ins []string, n int, attrs ...attr) []string {
	b.seq++
	base := op + "_" + strconv.Itoa(b.seq)
	outs := make([]string, n)
	for i := range outs {
		outs[i] = base
		if n > 1 {
			outs[i] += "_" + strconv.Itoa(i)
		}
	}
	b.node(base, op, ins, outs, attrs...)
	return outs
}

// node adds a node called name writing the values outs.
func (b *builder) node(name, op string, ins, outs []string, attrs ...attr) {
	var nb []byte
	for _, in := range ins {
		nb = appendString(nb, nodeInput, in)
	}
	for _, o := range outs {
		nb = appendString(nb, nodeOutput, o)
	}
	nb = appendString(nb, nodeName, name)
	nb = appendString(nb, nodeOpType, op)
	for _, a := range attrs {
		ab := appendString(nil, attrName, a.name)
		switch {
		case a.i != nil:
			ab = protowire.AppendTag(ab, attrI, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(*a.i))
			ab = appendVarint(ab, attrType, attrINT)
		case a.f != nil:
			ab = protowire.AppendTag(ab, attrF, protowire.Fixed32Type)
			ab = protowire.AppendFixed32(ab, math.Float32bits(*a.f))
			ab = appendVarint(ab, attrType, attrFLOAT)
		default:
			for _, v := range a.ints {
				ab = protowire.AppendTag(ab, attrInts, protowire.VarintType)
				ab = protowire.AppendVarint(ab, uint64(v))
			}
			ab = appendVarint(ab, attrType, attrINTS)
		}
		nb = appendBytes(nb, nodeAttribute, ab)
	}
	b.nodes = append(b.nodes, nb)
}

// weight adds a float32 initializer holding raw little-endian bytes.
func (b *builder) weight(name string, raw []byte, dims ...int64) string {
	b.inits = append(b.inits, tensorProto(name, dtFloat, raw, dims))
	return name
}

// f32 adds a float32 constant.
func (b *builder) f32(name string, dims []int64, vals ...float32) string {
	raw := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	b.inits = append(b.inits, tensorProto(name, dtFloat, raw, dims))
	return name
}

// i64 adds an int64 constant.
func (b *builder) i64(name string, dims []int64, vals ...int64) string {
	raw := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	b.inits = append(b.inits, tensorProto(name, dtInt64, raw, dims))
	return name
}

func tensorProto(name string, dtype int, raw []byte, dims []int64) []byte {
	var t []byte
	for _, d := range dims {
		t = appendVarint(t, tensorDims, uint64(d))
	}
	t = appendVarint(t, tensorType, uint64(dtype))
	t = appendString(t, tensorName, name)
	return appendBytes(t, tensorRaw, raw)
}

// dim is a tensor dimension: a fixed size, or a named symbolic one.
type dim struct {
	size  int64
	param string
}

func valueInfo(name string, elem int, dims ...dim) []byte {
	var shape []byte
	for _, d := range dims {
		var db []byte
		if d.param != "" {
			db = appendString(db, dimParam, d.param)
		} else {
			db = appendVarint(db, dimValue, uint64(d.size))
		}
		shape = appendBytes(shape, shapeDim, db)
	}
	tt := appendVarint(nil, tensorElemType, uint64(elem))
	tt = appendBytes(tt, tensorShape, shape)
	vi := appendString(nil, valueName, name)
	return appendBytes(vi, valueType, appendBytes(nil, typeTensor, tt))
}

// model serializes the graph as an ONNX ModelProto.
func (b *builder) model(name, doc string, inputs, outputs [][]byte, meta [][2]string) []byte {
	var g []byte
	for _, n := range b.nodes {
		g = appendBytes(g, graphNode, n)
	}
	g = appendString(g, graphName, name)
	for _, t := range b.inits {
		g = appendBytes(g, graphInitializer, t)
	}
	for _, in := range inputs {
		g = appendBytes(g, graphInput, in)
	}
	for _, out := range outputs {
		g = appendBytes(g, graphOutput, out)
	}
	var m []byte
	m = appendVarint(m, modelIRVersion, irVersion)
	m = appendString(m, modelProducerName, "quarry")
	m = appendString(m, modelProducerVer, converterVersion)
	m = appendString(m, modelDocString, doc)
	m = appendBytes(m, modelGraph, g)
	m = appendBytes(m, modelOpsetImport, appendVarint(appendString(nil, 1, ""), opsetVersion, opset))
	for _, kv := range meta {
		m = appendBytes(m, modelMetadataProps, appendString(appendString(nil, entryKey, kv[0]), entryValue, kv[1]))
	}
	return m
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
