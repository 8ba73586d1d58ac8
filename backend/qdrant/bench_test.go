package qdrant_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/qdrant"
)

// Benchmarks for make bench. They drive the stand-in through the real
// client over loopback gRPC, as the app does in embedded mode:
//
//	go test ./backend/qdrant -run '^$' -bench Search -benchtime 200x
//	go test ./backend/qdrant -run '^$' -bench 'Upsert|Rebuild' -benchtime 3x
//
// Latency benchmarks report p50-ms and p99-ms per query; throughput ones
// report points/s.

const benchDims = 384

func randomPoints(n, dims int, seed uint64) []qdrant.Point {
	rng := rand.New(rand.NewPCG(seed, 7))
	pts := make([]qdrant.Point, n)
	for i := range pts {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		doc := i / 8
		pts[i] = qdrant.Point{Vector: v, Payload: qdrant.Payload{
			DocumentID: fmt.Sprintf("doc-%07d", doc),
			SourceID:   fmt.Sprintf("src-%d", doc%10),
			ChunkIndex: i % 8,
			Path:       fmt.Sprintf("/data/src-%d/%07d.txt", doc%10, doc),
			MimeType:   []string{"text/plain", "application/pdf", "text/markdown"}[doc%3],
			Modified:   day0.Add(time.Duration(doc) * time.Hour),
		}}
	}
	return pts
}

func percentiles(d []time.Duration) (p50, p99 float64) {
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return float64(d[max(i, 0)].Microseconds()) / 1000
	}
	return at(0.50), at(0.99)
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		cfg := startStandin(b, "")
		c := connect(b, cfg)
		name := uniqueName("bench")
		if err := c.CreateCollection(b.Context(), name, qdrant.Spec{Dims: benchDims}); err != nil {
			b.Fatal(err)
		}
		if err := c.Upsert(b.Context(), name, randomPoints(n, benchDims, 1)); err != nil {
			b.Fatal(err)
		}
		queries := randomPoints(64, benchDims, 2)
		filters := []struct {
			name string
			f    qdrant.Filter
		}{
			{"nofilter", qdrant.Filter{}},
			{"source10pct", qdrant.Filter{SourceIDs: []string{"src-3"}}},
			{"mime+modified50pct", qdrant.Filter{MimeTypes: []string{"text/plain", "application/pdf"}, ModifiedFrom: day0.Add(time.Duration(n/16) * time.Hour)}},
		}
		for _, f := range filters {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, f.name), func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					start := time.Now()
					hits, err := c.Search(b.Context(), name, qdrant.Query{Vector: queries[i%len(queries)].Vector, Limit: 10, Filter: f.f})
					lat = append(lat, time.Since(start))
					if err != nil || len(hits) == 0 {
						b.Fatalf("Search = %d hits, %v", len(hits), err)
					}
					i++
				}
				p50, p99 := percentiles(lat)
				b.ReportMetric(p50, "p50-ms")
				b.ReportMetric(p99, "p99-ms")
			})
		}
	}
}

func BenchmarkUpsert(b *testing.B) {
	for _, batch := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			cfg := startStandin(b, "")
			cfg.BatchSize = batch
			c := connect(b, cfg)
			name := uniqueName("bench")
			if err := c.CreateCollection(b.Context(), name, qdrant.Spec{Dims: benchDims}); err != nil {
				b.Fatal(err)
			}
			pts := randomPoints(10_000, benchDims, 3)
			total := 0
			start := time.Now()
			for b.Loop() {
				if err := c.Upsert(b.Context(), name, pts); err != nil {
					b.Fatal(err)
				}
				total += len(pts)
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "points/s")
		})
	}
}
