package qdrant_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/qdrant/standin"
	"google.golang.org/grpc"
)

// target is a Qdrant deployment the contract runs against.
type target struct {
	name string
	cfg  qdrant.Config
}

// targets returns the stand-in always, and a real Qdrant when
// QUARRY_TEST_QDRANT_URL names one (optional by design: none exists on the
// build machines).
func targets(t *testing.T) []target {
	t.Helper()
	out := []target{{name: "standin", cfg: startStandin(t, "contract-key")}}
	if u := os.Getenv("QUARRY_TEST_QDRANT_URL"); u != "" {
		out = append(out, target{name: "qdrant", cfg: qdrant.Config{URL: u, APIKey: os.Getenv("QUARRY_TEST_QDRANT_API_KEY")}})
	}
	return out
}

// startStandin serves a stand-in on a loopback port for the test's
// lifetime; extra server options (interceptors) are for fault injection.
func startStandin(tb testing.TB, apiKey string, opts ...grpc.ServerOption) qdrant.Config {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	srv := standin.New(standin.Options{APIKey: apiKey})
	g := srv.GRPCServer(opts...)
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Serve(lis) })
	tb.Cleanup(func() {
		g.Stop()
		wg.Wait()
	})
	return qdrant.Config{URL: "http://" + lis.Addr().String(), APIKey: apiKey, Retry: qdrant.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

func connect(tb testing.TB, cfg qdrant.Config) *qdrant.Client {
	tb.Helper()
	c, err := qdrant.New(cfg)
	if err != nil {
		tb.Fatalf("qdrant.New: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// tempCollection creates a uniquely named collection removed at cleanup.
func tempCollection(t *testing.T, c *qdrant.Client, spec qdrant.Spec) string {
	t.Helper()
	name := uniqueName("quarrytest")
	if err := c.CreateCollection(t.Context(), name, spec); err != nil {
		t.Fatalf("CreateCollection(%s): %v", name, err)
	}
	t.Cleanup(func() { _ = c.DeleteCollection(context.Background(), name) })
	return name
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// axis returns a unit vector along dimension i, bent slightly towards
// dimension j so scores differ.
func axis(dims, i, j int, bend float32) []float32 {
	v := make([]float32, dims)
	v[i] = 1
	v[j] += bend
	return v
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

var day0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a small corpus: 3 documents in 2 sources, 4 chunks each,
// modified on consecutive days, with vectors 10*doc+chunk mod dims.
func fixture(dims int) []qdrant.Point {
	var pts []qdrant.Point
	for d := range 3 {
		for ch := range 4 {
			src, mime := "src-a", "text/plain"
			if d == 2 {
				src, mime = "src-b", "application/pdf"
			}
			pts = append(pts, qdrant.Point{
				Vector: axis(dims, (d*4+ch)%dims, (d*4+ch+1)%dims, 0.1*float32(ch+1)),
				Payload: qdrant.Payload{
					DocumentID: fmt.Sprintf("doc-%d", d),
					SourceID:   src,
					ChunkIndex: ch,
					Path:       fmt.Sprintf("/data/%s/file%d", src, d),
					MimeType:   mime,
					Modified:   day0.AddDate(0, 0, d),
				},
			})
		}
	}
	return pts
}

func ids(hits []qdrant.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func docChunks(hits []qdrant.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s/%d", h.Payload.DocumentID, h.Payload.ChunkIndex)
	}
	slices.Sort(out)
	return out
}

// behaviours is the contract: written once, run against every target.
var behaviours = []struct {
	name string
	run  func(t *testing.T, c *qdrant.Client)
}{
	{"health reports a version", func(t *testing.T, c *qdrant.Client) {
		v, err := c.Health(t.Context())
		if err != nil || v == "" {
			t.Fatalf("Health() = %q, %v; want a version", v, err)
		}
	}},
	{"create and describe each quantization", func(t *testing.T, c *qdrant.Client) {
		for _, q := range []qdrant.Quantization{qdrant.Float32, qdrant.Float16, qdrant.Int8} {
			t.Run(string(q), func(t *testing.T) {
				name := tempCollection(t, c, qdrant.Spec{Dims: 16, Quantization: q})
				info, err := c.Info(t.Context(), name)
				if err != nil {
					t.Fatalf("Info: %v", err)
				}
				want := []string{qdrant.FieldDocumentID, qdrant.FieldMimeType, qdrant.FieldModified, qdrant.FieldPath, qdrant.FieldSourceID}
				slices.Sort(want)
				if info.Dims != 16 || info.Quantization != q || info.Points != 0 || !slices.Equal(info.Indexed, want) {
					t.Errorf("Info = %+v; want dims 16, %s, 0 points, indexes %v", info, q, want)
				}
			})
		}
	}},
	{"create twice fails, ensure is idempotent and checks dims", func(t *testing.T, c *qdrant.Client) {
		spec := qdrant.Spec{Dims: 8, Quantization: qdrant.Float32}
		name := tempCollection(t, c, spec)
		if err := c.CreateCollection(t.Context(), name, spec); !errors.Is(err, qdrant.ErrAlreadyExists) {
			t.Errorf("second CreateCollection err = %v; want ErrAlreadyExists", err)
		}
		if err := c.EnsureCollection(t.Context(), name, spec); err != nil {
			t.Errorf("EnsureCollection(existing) = %v", err)
		}
		if err := c.EnsureCollection(t.Context(), name, qdrant.Spec{Dims: 9}); !errors.Is(err, qdrant.ErrBadDimension) {
			t.Errorf("EnsureCollection(other dims) err = %v; want ErrBadDimension", err)
		}
		fresh := uniqueName("quarrytest")
		t.Cleanup(func() { _ = c.DeleteCollection(context.Background(), fresh) })
		if err := c.EnsureCollection(t.Context(), fresh, spec); err != nil {
			t.Errorf("EnsureCollection(new) = %v", err)
		}
	}},
	{"upsert is idempotent by deterministic id", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		pts := fixture(16)
		for range 2 {
			if err := c.Upsert(t.Context(), name, pts); err != nil {
				t.Fatalf("Upsert: %v", err)
			}
		}
		n, err := c.Count(t.Context(), name, qdrant.Filter{})
		if err != nil || n != uint64(len(pts)) {
			t.Errorf("Count = %d, %v; want %d", n, err, len(pts))
		}
	}},
	{"wrong dimension is refused and writes nothing", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		pts := fixture(16)
		pts[3].Vector = []float32{1, 2, 3}
		if err := c.Upsert(t.Context(), name, pts); !errors.Is(err, qdrant.ErrBadDimension) {
			t.Errorf("Upsert err = %v; want ErrBadDimension", err)
		}
		if n, _ := c.Count(t.Context(), name, qdrant.Filter{}); n != 0 {
			t.Errorf("Count after failed upsert = %d; want 0", n)
		}
		if err := c.Upsert(t.Context(), name, fixture(16)); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		if _, err := c.Search(t.Context(), name, qdrant.Query{Vector: make([]float32, 15)}); !errors.Is(err, qdrant.ErrBadDimension) {
			t.Errorf("Search err = %v; want ErrBadDimension", err)
		}
	}},
	{"search scores are cosine, best first", func(t *testing.T, c *qdrant.Client) {
		for _, q := range []qdrant.Quantization{qdrant.Float32, qdrant.Float16, qdrant.Int8} {
			t.Run(string(q), func(t *testing.T) {
				name := tempCollection(t, c, qdrant.Spec{Dims: 16, Quantization: q})
				pts := fixture(16)
				if err := c.Upsert(t.Context(), name, pts); err != nil {
					t.Fatalf("Upsert: %v", err)
				}
				query := axis(16, 5, 6, 0.3)
				hits, err := c.Search(t.Context(), name, qdrant.Query{Vector: query, Limit: 3})
				if err != nil {
					t.Fatalf("Search: %v", err)
				}
				byID := map[string]qdrant.Point{}
				for _, p := range pts {
					byID[qdrant.PointID(p.Payload.DocumentID, p.Payload.ChunkIndex)] = p
				}
				want := slices.Clone(pts)
				slices.SortFunc(want, func(a, b qdrant.Point) int { return -cmpFloat(cosine(query, a.Vector), cosine(query, b.Vector)) })
				if len(hits) != 3 {
					t.Fatalf("got %d hits; want 3", len(hits))
				}
				for i, h := range hits {
					p, ok := byID[h.ID]
					if !ok {
						t.Fatalf("hit %d has unknown id %s", i, h.ID)
					}
					if got, want := float64(h.Score), cosine(query, p.Vector); math.Abs(got-want) > 0.01 {
						t.Errorf("hit %d score = %.4f; want cosine %.4f", i, got, want)
					}
					if h.Payload != p.Payload {
						t.Errorf("hit %d payload = %+v; want %+v", i, h.Payload, p.Payload)
					}
					if wp := want[i].Payload; h.Payload.DocumentID != wp.DocumentID || h.Payload.ChunkIndex != wp.ChunkIndex {
						t.Errorf("hit %d = %s/%d; want %s/%d", i, h.Payload.DocumentID, h.Payload.ChunkIndex, wp.DocumentID, wp.ChunkIndex)
					}
				}
			})
		}
	}},
	{"filters restrict search and count", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		if err := c.Upsert(t.Context(), name, fixture(16)); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		all := func(docs ...int) []string {
			var out []string
			for _, d := range docs {
				for ch := range 4 {
					out = append(out, fmt.Sprintf("doc-%d/%d", d, ch))
				}
			}
			slices.Sort(out)
			return out
		}
		cases := []struct {
			name string
			f    qdrant.Filter
			want []string
		}{
			{"none", qdrant.Filter{}, all(0, 1, 2)},
			{"source", qdrant.Filter{SourceIDs: []string{"src-b"}}, all(2)},
			{"sources any", qdrant.Filter{SourceIDs: []string{"src-a", "src-b"}}, all(0, 1, 2)},
			{"documents", qdrant.Filter{DocumentIDs: []string{"doc-0", "doc-2"}}, all(0, 2)},
			{"exclude document", qdrant.Filter{ExcludeDocumentIDs: []string{"doc-1"}}, all(0, 2)},
			{"mime", qdrant.Filter{MimeTypes: []string{"text/plain"}}, all(0, 1)},
			{"path", qdrant.Filter{Paths: []string{"/data/src-a/file1"}}, all(1)},
			{"modified from", qdrant.Filter{ModifiedFrom: day0.AddDate(0, 0, 1)}, all(1, 2)},
			{"modified before", qdrant.Filter{ModifiedBefore: day0.AddDate(0, 0, 1)}, all(0)},
			{"modified window", qdrant.Filter{ModifiedFrom: day0.AddDate(0, 0, 1), ModifiedBefore: day0.AddDate(0, 0, 2)}, all(1)},
			{"combined", qdrant.Filter{SourceIDs: []string{"src-a"}, ExcludeDocumentIDs: []string{"doc-0"}}, all(1)},
			{"unknown value", qdrant.Filter{SourceIDs: []string{"nope"}}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				hits, err := c.Search(t.Context(), name, qdrant.Query{Vector: axis(16, 0, 1, 0), Limit: 100, Filter: tc.f})
				if err != nil {
					t.Fatalf("Search: %v", err)
				}
				if got := docChunks(hits); !slices.Equal(got, tc.want) {
					t.Errorf("Search hits = %v; want %v", got, tc.want)
				}
				n, err := c.Count(t.Context(), name, tc.f)
				if err != nil || n != uint64(len(tc.want)) {
					t.Errorf("Count = %d, %v; want %d", n, err, len(tc.want))
				}
			})
		}
	}},
	{"limit, offset and minimum score", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		if err := c.Upsert(t.Context(), name, fixture(16)); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		q := axis(16, 5, 6, 0.3)
		top, err := c.Search(t.Context(), name, qdrant.Query{Vector: q, Limit: 4})
		if err != nil {
			t.Fatalf("Search: %v", err)
		}
		page2, err := c.Search(t.Context(), name, qdrant.Query{Vector: q, Limit: 2, Offset: 2})
		if err != nil {
			t.Fatalf("Search offset: %v", err)
		}
		if got, want := ids(page2), ids(top)[2:4]; !slices.Equal(got, want) {
			t.Errorf("offset page = %v; want %v", got, want)
		}
		floor := (top[1].Score + top[2].Score) / 2
		above, err := c.Search(t.Context(), name, qdrant.Query{Vector: q, Limit: 10, MinScore: &floor})
		if err != nil {
			t.Fatalf("Search min score: %v", err)
		}
		if got, want := ids(above), ids(top)[:2]; !slices.Equal(got, want) {
			t.Errorf("hits above %.3f = %v; want %v", floor, got, want)
		}
	}},
	{"delete by ids and by filter", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		if err := c.Upsert(t.Context(), name, fixture(16)); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		gone := []string{qdrant.PointID("doc-0", 0), qdrant.PointID("doc-0", 1), qdrant.PointID("no-such-doc", 0)}
		if err := c.DeletePoints(t.Context(), name, gone); err != nil {
			t.Fatalf("DeletePoints: %v", err)
		}
		if n, _ := c.Count(t.Context(), name, qdrant.Filter{DocumentIDs: []string{"doc-0"}}); n != 2 {
			t.Errorf("doc-0 chunks after id delete = %d; want 2", n)
		}
		if err := c.DeleteWhere(t.Context(), name, qdrant.Filter{SourceIDs: []string{"src-b"}}); err != nil {
			t.Fatalf("DeleteWhere: %v", err)
		}
		if n, _ := c.Count(t.Context(), name, qdrant.Filter{}); n != 6 {
			t.Errorf("Count after deletes = %d; want 6", n)
		}
		if err := c.DeleteWhere(t.Context(), name, qdrant.Filter{}); !errors.Is(err, qdrant.ErrInvalid) {
			t.Errorf("DeleteWhere(empty) err = %v; want ErrInvalid", err)
		}
	}},
	{"scroll pages cover every point once, in id order", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		pts := fixture(16)
		if err := c.Upsert(t.Context(), name, pts); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		var want []string
		for _, p := range pts {
			want = append(want, qdrant.PointID(p.Payload.DocumentID, p.Payload.ChunkIndex))
		}
		slices.Sort(want)
		var got []string
		offset := ""
		for pages := 0; ; pages++ {
			if pages > len(pts) {
				t.Fatal("scroll does not end")
			}
			page, err := c.Scroll(t.Context(), name, qdrant.Filter{}, offset, 5, true)
			if err != nil {
				t.Fatalf("Scroll: %v", err)
			}
			for _, p := range page.Points {
				got = append(got, p.ID)
				if n := cosine(p.Vector, p.Vector); len(p.Vector) != 16 || math.Abs(n-1) > 1e-3 {
					t.Errorf("scrolled vector of %s has %d dims; want 16", p.ID, len(p.Vector))
				}
			}
			if page.Next == "" {
				break
			}
			offset = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("scrolled ids = %v; want %v", got, want)
		}
		var each []string
		if err := c.ForEachID(t.Context(), name, 7, func(ids []string) error { each = append(each, ids...); return nil }); err != nil {
			t.Fatalf("ForEachID: %v", err)
		}
		if !slices.Equal(each, want) {
			t.Errorf("ForEachID ids = %v; want %v", each, want)
		}
		page, err := c.Scroll(t.Context(), name, qdrant.Filter{SourceIDs: []string{"src-b"}}, "", 100, false)
		if err != nil || len(page.Points) != 4 || page.Next != "" {
			t.Errorf("filtered scroll = %d points, next %q, %v; want 4, none", len(page.Points), page.Next, err)
		}
	}},
	{"alias switches atomically between collections", func(t *testing.T, c *qdrant.Client) {
		old := tempCollection(t, c, qdrant.Spec{Dims: 16})
		next := tempCollection(t, c, qdrant.Spec{Dims: 16})
		alias := uniqueName("quarryalias")
		t.Cleanup(func() { _ = c.DeleteAlias(context.Background(), alias) })
		pts := fixture(16)
		if err := c.Upsert(t.Context(), old, pts[:4]); err != nil {
			t.Fatalf("Upsert old: %v", err)
		}
		if err := c.Upsert(t.Context(), next, pts); err != nil {
			t.Fatalf("Upsert next: %v", err)
		}
		if _, err := c.ResolveAlias(t.Context(), alias); !errors.Is(err, qdrant.ErrNotFound) {
			t.Errorf("ResolveAlias(missing) err = %v; want ErrNotFound", err)
		}
		for _, step := range []struct {
			target string
			count  uint64
		}{{old, 4}, {next, 12}, {next, 12}} {
			if err := c.SwitchAlias(t.Context(), alias, step.target); err != nil {
				t.Fatalf("SwitchAlias(%s): %v", step.target, err)
			}
			if got, err := c.ResolveAlias(t.Context(), alias); err != nil || got != step.target {
				t.Errorf("ResolveAlias = %q, %v; want %q", got, err, step.target)
			}
			if n, err := c.Count(t.Context(), alias, qdrant.Filter{}); err != nil || n != step.count {
				t.Errorf("Count via alias = %d, %v; want %d", n, err, step.count)
			}
			hits, err := c.Search(t.Context(), alias, qdrant.Query{Vector: axis(16, 0, 1, 0), Limit: 1})
			if err != nil || len(hits) != 1 {
				t.Errorf("Search via alias = %v, %v; want one hit", hits, err)
			}
		}
		if err := c.SwitchAlias(t.Context(), alias, uniqueName("missing")); !errors.Is(err, qdrant.ErrNotFound) {
			t.Errorf("SwitchAlias(missing collection) err = %v; want ErrNotFound", err)
		}
		if got, _ := c.ResolveAlias(t.Context(), alias); got != next {
			t.Errorf("alias after failed switch = %q; want unchanged %q", got, next)
		}
		if err := c.DeleteAlias(t.Context(), alias); err != nil {
			t.Fatalf("DeleteAlias: %v", err)
		}
		if err := c.DeleteAlias(t.Context(), alias); !errors.Is(err, qdrant.ErrNotFound) {
			t.Errorf("DeleteAlias(again) err = %v; want ErrNotFound", err)
		}
	}},
	{"missing collection is ErrNotFound", func(t *testing.T, c *qdrant.Client) {
		name := uniqueName("quarrymissing")
		ops := map[string]func() error{
			"info":   func() error { _, err := c.Info(t.Context(), name); return err },
			"upsert": func() error { return c.Upsert(t.Context(), name, fixture(16)) },
			"search": func() error {
				_, err := c.Search(t.Context(), name, qdrant.Query{Vector: axis(16, 0, 1, 0)})
				return err
			},
			"count":  func() error { _, err := c.Count(t.Context(), name, qdrant.Filter{}); return err },
			"scroll": func() error { _, err := c.Scroll(t.Context(), name, qdrant.Filter{}, "", 10, false); return err },
		}
		for op, fn := range ops {
			if err := fn(); !errors.Is(err, qdrant.ErrNotFound) {
				t.Errorf("%s on missing collection err = %v; want ErrNotFound", op, err)
			}
		}
		if err := c.DeleteCollection(t.Context(), name); err != nil {
			t.Errorf("DeleteCollection(missing) = %v; want nil", err)
		}
	}},
	{"snapshot is created", func(t *testing.T, c *qdrant.Client) {
		name := tempCollection(t, c, qdrant.Spec{Dims: 16})
		if err := c.Upsert(t.Context(), name, fixture(16)); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		s, err := c.CreateSnapshot(t.Context(), name)
		if err != nil || s.Name == "" || s.Created.IsZero() {
			t.Errorf("CreateSnapshot = %+v, %v; want a named snapshot", s, err)
		}
	}},
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestContract(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c := connect(t, tg.cfg)
			if _, err := c.Health(t.Context()); err != nil {
				t.Fatalf("target %s not reachable: %v", tg.name, err)
			}
			for _, b := range behaviours {
				t.Run(b.name, func(t *testing.T) { b.run(t, c) })
			}
		})
	}
}
