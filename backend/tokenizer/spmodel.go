package tokenizer

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// pieceType is SentencePiece's ModelProto.SentencePiece.Type.
type pieceType int8

const (
	pieceNormal      pieceType = 1
	pieceUnknown     pieceType = 2
	pieceControl     pieceType = 3
	pieceUserDefined pieceType = 4
	pieceUnused      pieceType = 5
	pieceByte        pieceType = 6
)

// spPiece is one vocabulary entry; its index is its SentencePiece id.
type spPiece struct {
	text  string
	score float32
	typ   pieceType
}

// spModel is the part of a SentencePiece ModelProto that encoding needs.
type spModel struct {
	pieces []spPiece

	modelType    int32 // 1 unigram, 2 bpe, 3 word, 4 char
	byteFallback bool
	// Ids of the reserved pieces, -1 when absent.
	unkID, padID int32
	wsSuffix     bool // treat_whitespace_as_suffix

	norm normSpec
}

// normSpec is SentencePiece's NormalizerSpec.
type normSpec struct {
	charsmap    []byte
	dummyPrefix bool
	removeExtra bool
	escapeWS    bool
}

const spModelUnigram = 1

var spModelNames = map[int32]string{1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR"}

// parseSPModel decodes a serialized ModelProto. Absent optional fields
// take the defaults declared in sentencepiece_model.proto.
func parseSPModel(b []byte) (*spModel, error) {
	m := &spModel{
		modelType: spModelUnigram,
		unkID:     0, padID: -1,
		norm: normSpec{dummyPrefix: true, removeExtra: true, escapeWS: true},
	}
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			p, err := parsePiece(v)
			if err != nil {
				return fmt.Errorf("piece %d: %w", len(m.pieces), err)
			}
			m.pieces = append(m.pieces, p)
		case num == 2 && typ == protowire.BytesType:
			return parseTrainerSpec(v, m)
		case num == 3 && typ == protowire.BytesType:
			return parseNormSpec(v, &m.norm)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode sentencepiece model: %w", err)
	}
	if len(m.pieces) == 0 {
		return nil, errors.New("decode sentencepiece model: no pieces")
	}
	return m, nil
}

func parsePiece(b []byte) (spPiece, error) {
	p := spPiece{typ: pieceNormal}
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			p.text = string(v)
		case num == 2 && typ == protowire.Fixed32Type:
			p.score = math.Float32frombits(uint32(x))
		case num == 3 && typ == protowire.VarintType:
			p.typ = pieceType(x)
		}
		return nil
	})
	return p, err
}

func parseTrainerSpec(b []byte, m *spModel) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.VarintType {
			return nil
		}
		switch num {
		case 3:
			m.modelType = int32(x)
		case 24:
			m.wsSuffix = x != 0
		case 35:
			m.byteFallback = x != 0
		case 40:
			m.unkID = int32(x)
		case 43:
			m.padID = int32(x)
		}
		return nil
	})
}

func parseNormSpec(b []byte, n *normSpec) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 2 && typ == protowire.BytesType:
			n.charsmap = v
		case num == 3 && typ == protowire.VarintType:
			n.dummyPrefix = x != 0
		case num == 4 && typ == protowire.VarintType:
			n.removeExtra = x != 0
		case num == 5 && typ == protowire.VarintType:
			n.escapeWS = x != 0
		}
		return nil
	})
}

// eachField calls fn for every field of one protobuf message: v holds a
// length-delimited payload, x a varint or fixed-width value.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
