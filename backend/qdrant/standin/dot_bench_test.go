package standin

import "testing"

var sink float32

func BenchmarkDot(b *testing.B) {
	const n, d = 20000, 384
	vecs := make([]float32, n*d)
	for i := range vecs {
		vecs[i] = float32(i%7) * 0.1
	}
	q := vecs[:d]
	for b.Loop() {
		var s float32
		for i := range n {
			s += dot(q, vecs[i*d:(i+1)*d])
		}
		sink = s
	}
	b.ReportMetric(float64(n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
