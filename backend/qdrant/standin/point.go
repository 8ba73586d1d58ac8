package standin

import (
	"bytes"
	"cmp"
	"fmt"
	"math"

	"github.com/google/uuid"
	pb "github.com/qdrant/go-client/qdrant"
)

// pointKey is a point id in comparable form. Qdrant orders numeric ids before
// UUIDs and UUIDs by their bytes; scroll pages follow that order.
type pointKey struct {
	isUUID bool
	num    uint64
	u      [16]byte
}

func keyOf(id *pb.PointId) (pointKey, error) {
	switch v := id.GetPointIdOptions().(type) {
	case *pb.PointId_Num:
		return pointKey{num: v.Num}, nil
	case *pb.PointId_Uuid:
		u, err := uuid.Parse(v.Uuid)
		if err != nil {
			return pointKey{}, invalidf("Unable to parse UUID: %s", v.Uuid)
		}
		return pointKey{isUUID: true, u: u}, nil
	default:
		return pointKey{}, invalidf("point id is missing")
	}
}

func (k pointKey) proto() *pb.PointId {
	if k.isUUID {
		return pb.NewIDUUID(uuid.UUID(k.u).String())
	}
	return pb.NewIDNum(k.num)
}

func (k pointKey) String() string {
	if k.isUUID {
		return uuid.UUID(k.u).String()
	}
	return fmt.Sprint(k.num)
}

func compareKeys(a, b pointKey) int {
	if a.isUUID != b.isUUID {
		if a.isUUID {
			return 1
		}
		return -1
	}
	if a.isUUID {
		return bytes.Compare(a.u[:], b.u[:])
	}
	return cmp.Compare(a.num, b.num)
}

// denseOf extracts a dense vector from either the current or the deprecated
// wire form the client may send.
func denseOf(v *pb.Vector) ([]float32, bool) {
	if v == nil {
		return nil, false
	}
	if d := v.GetDense(); d != nil {
		return d.GetData(), true
	}
	// Older clients send dense vectors in the deprecated flat fields;
	// Qdrant still accepts them, and so does the stand-in.
	//lint:ignore SA1019 accepted for compatibility with older clients
	if v.GetSparse() != nil || v.GetMultiDense() != nil || v.GetIndices() != nil {
		return nil, false
	}
	//lint:ignore SA1019 accepted for compatibility with older clients
	data := v.GetData()
	return data, len(data) > 0
}

// normalize scales v to unit length in place; a zero vector stays zero, as in
// Qdrant.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// roundFloat16 rounds v to the nearest float16 value, which is what a
// Float16 collection keeps and scores with.
func roundFloat16(f float32) float32 {
	return f16to32(f32to16(f))
}

func f32to16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case (b>>23)&0xff == 0xff:
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		half := uint32(1) << (shift - 1)
		r := mant + half - 1 + ((mant >> shift) & 1)
		return sign | uint16(r>>shift)
	}
	r := mant + 0xfff + ((mant >> 13) & 1)
	if r&0x800000 != 0 {
		r = 0
		exp++
		if exp >= 0x1f {
			return sign | 0x7c00
		}
	}
	return sign | uint16(exp)<<10 | uint16(r>>13)
}

func f16to32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
