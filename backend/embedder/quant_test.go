package embedder

import (
	"errors"
	"math"
	"testing"
)

func TestFloat16(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000}, {float32(math.Copysign(0, -1)), 0x8000}, {1, 0x3c00}, {-2, 0xc000},
		{65504, 0x7bff}, {65520, 0x7c00}, {1e-8, 0x0000}, {5.960464477539063e-08, 0x0001},
		{0.333251953125, 0x3555}, {float32(math.Inf(1)), 0x7c00},
		{1 + 0.00048828125, 0x3c00}, {1.0009765625 + 0.00048828125, 0x3c02}, // halfway rounds to even
	}
	for _, tt := range tests {
		if got := F32ToF16(tt.in); got != tt.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
	// Every finite half value survives a round trip.
	for h := range 1 << 16 {
		f := F16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("round trip %#04x -> %g -> %#04x", h, f, back)
		}
	}
}

func TestPrecisionRoundTrip(t *testing.T) {
	v := []float32{0.5, -0.25, 0.125, 0, -0.7071, 0.3333, 1e-4, -1}
	normalize(v)
	tests := []struct {
		p   Precision
		tol float64
	}{{Float32, 0}, {Float16, 1e-3}, {Int8, 1.0 / 127}, {Uint8, 1.0 / 127}}
	for _, tt := range tests {
		t.Run(string(tt.p), func(t *testing.T) {
			b := tt.p.Encode(v)
			if len(b) != tt.p.EncodedLen(len(v)) {
				t.Fatalf("encoded %d bytes, EncodedLen says %d", len(b), tt.p.EncodedLen(len(v)))
			}
			got, err := tt.p.Decode(b, len(v))
			if err != nil {
				t.Fatal(err)
			}
			for i := range v {
				if d := math.Abs(float64(got[i] - v[i])); d > tt.tol {
					t.Errorf("value %d: got %g want %g (diff %g > %g)", i, got[i], v[i], d, tt.tol)
				}
			}
			if _, err := tt.p.Decode(b[:len(b)-1], len(v)); !errors.Is(err, ErrBadEncoding) {
				t.Errorf("short input: err = %v, want ErrBadEncoding", err)
			}
		})
	}
}

func TestQuantizeInt8(t *testing.T) {
	q, scale := QuantizeInt8([]float32{0.5, -1, 0.25})
	if scale != float32(1.0/127) || q[1] != -127 || q[0] != 64 {
		t.Errorf("QuantizeInt8 = %v, %g", q, scale)
	}
	if q, scale := QuantizeInt8([]float32{0, 0}); scale != 0 || q[0] != 0 {
		t.Errorf("zero vector: %v, %g", q, scale)
	}
	u, s := QuantizeUint8([]float32{1, -1, 0})
	if u[0] != 255 || u[1] != 1 || u[2] != 128 {
		t.Errorf("QuantizeUint8 = %v, %g", u, s)
	}
	back := DequantizeUint8(u, s)
	if math.Abs(float64(back[0]-1)) > 1e-6 {
		t.Errorf("DequantizeUint8 = %v", back)
	}
	if d := DequantizeInt8(q, scale); d[1] != -1 {
		t.Errorf("DequantizeInt8 = %v", d)
	}
}
