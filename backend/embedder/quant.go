package embedder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Precision is how a collection stores vectors and sends them to the
// vector index.
type Precision string

const (
	Float32 Precision = "float32"
	Float16 Precision = "float16"
	// Int8 stores signed bytes with one float32 scale per vector:
	// x ≈ q * scale.
	Int8 Precision = "int8"
	// Uint8 stores bytes offset by 128 with one scale: x ≈ (q-128) * scale.
	// It is the form vector indexes with unsigned byte vectors accept.
	Uint8 Precision = "uint8"
)

// ErrBadEncoding is returned when bytes do not decode as a vector of the
// expected precision and length.
var ErrBadEncoding = errors.New("bad vector encoding")

// EncodedLen is the number of bytes Encode produces for dims values.
func (p Precision) EncodedLen(dims int) int {
	switch p {
	case Float16:
		return 2 * dims
	case Int8, Uint8:
		return 4 + dims
	default:
		return 4 * dims
	}
}

// Encode packs v for storage (PostgreSQL bytea): little-endian float32 or
// float16 values, or a float32 scale followed by one byte per value.
func (p Precision) Encode(v []float32) []byte {
	out := make([]byte, 0, p.EncodedLen(len(v)))
	switch p {
	case Float16:
		for _, x := range v {
			out = binary.LittleEndian.AppendUint16(out, F32ToF16(x))
		}
	case Int8:
		q, scale := QuantizeInt8(v)
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(scale))
		for _, x := range q {
			out = append(out, byte(x))
		}
	case Uint8:
		q, scale := QuantizeUint8(v)
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(scale))
		out = append(out, q...)
	default:
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
		}
	}
	return out
}

// Decode unpacks bytes written by Encode for a vector of dims values.
func (p Precision) Decode(b []byte, dims int) ([]float32, error) {
	if len(b) != p.EncodedLen(dims) {
		return nil, fmt.Errorf("decode %s vector: %w: %d bytes for %d dims", p, ErrBadEncoding, len(b), dims)
	}
	out := make([]float32, dims)
	switch p {
	case Float16:
		for i := range out {
			out[i] = F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case Int8, Uint8:
		scale := math.Float32frombits(binary.LittleEndian.Uint32(b))
		for i, x := range b[4:] {
			if p == Int8 {
				out[i] = float32(int8(x)) * scale
			} else {
				out[i] = float32(int(x)-128) * scale
			}
		}
	default:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out, nil
}

// QuantizeInt8 maps v symmetrically to [-127, 127]; x ≈ q*scale.
func QuantizeInt8(v []float32) (q []int8, scale float32) {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	q = make([]int8, len(v))
	if m == 0 {
		return q, 0
	}
	scale = m / 127
	for i, x := range v {
		q[i] = int8(math.Round(float64(x / scale)))
	}
	return q, scale
}

// DequantizeInt8 reverses QuantizeInt8.
func DequantizeInt8(q []int8, scale float32) []float32 {
	out := make([]float32, len(q))
	for i, x := range q {
		out[i] = float32(x) * scale
	}
	return out
}

// QuantizeUint8 is QuantizeInt8 shifted by 128 into unsigned bytes.
func QuantizeUint8(v []float32) (q []uint8, scale float32) {
	s, scale := QuantizeInt8(v)
	q = make([]uint8, len(s))
	for i, x := range s {
		q[i] = uint8(int(x) + 128)
	}
	return q, scale
}

// DequantizeUint8 reverses QuantizeUint8.
func DequantizeUint8(q []uint8, scale float32) []float32 {
	out := make([]float32, len(q))
	for i, x := range q {
		out[i] = float32(int(x)-128) * scale
	}
	return out
}

// F32ToF16 converts to IEEE 754 half precision, rounding to nearest even.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b >> 23) & 0xff)
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127+15 >= 0x1f: // overflow
		return sign | 0x7c00
	case exp-127+15 <= 0: // subnormal or zero in half precision
		if exp-127+15 < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - (exp - 127 + 15))
		half := uint32(1) << (shift - 1)
		rounded := mant + half - 1 + ((mant >> shift) & 1)
		return sign | uint16(rounded>>shift)
	}
	e := uint16(exp - 127 + 15)
	rounded := mant + 0xfff + ((mant >> 13) & 1)
	if rounded&0x800000 != 0 { // mantissa overflowed into the exponent
		rounded = 0
		e++
		if e >= 0x1f {
			return sign | 0x7c00
		}
	}
	return sign | e<<10 | uint16(rounded>>13)
}

var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = f16ToF32Slow(uint16(i))
	}
	return &t
})

// F16ToF32 converts from IEEE 754 half precision.
func F16ToF32(h uint16) float32 { return f16Table()[h] }

func f16ToF32Slow(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant * 2^-24.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
