package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/vecindex"
)

var glove struct {
	once sync.Once
	svc  *embedder.Service
	err  error
}

// gloveModel opens the real GloVe static model once per test binary.
func gloveModel(t testing.TB) *embedder.Service {
	t.Helper()
	src := filepath.Join(testenv.SharedDir(t), "models", "glove-6b-100d-top100k")
	glove.once.Do(func() {
		if _, err := os.Stat(src); err != nil {
			glove.err = err
			return
		}
		m, _ := models.Lookup("glove-6b-100d")
		dir, err := os.MkdirTemp("", "quarry-search-glove-")
		if err != nil {
			glove.err = err
			return
		}
		if _, err := models.ImportFolders(context.Background(), m, "", []string{src}, filepath.Join(dir, m.Name), false, nil); err != nil {
			glove.err = err
			return
		}
		glove.svc, glove.err = embedder.Open(context.Background(), embedder.Config{Model: m, Dir: filepath.Join(dir, m.Name)})
	})
	if glove.err != nil {
		testenv.Missing(t, "GloVe model from %s: %v", src, glove.err)
	}
	return glove.svc
}

type oneModel struct{ svc *embedder.Service }

func (o oneModel) Get(_ context.Context, name string) (*embedder.Service, error) {
	if name != "glove-6b-100d" {
		return nil, errors.New("not installed")
	}
	return o.svc, nil
}

// rig is a collection over real PostgreSQL, the vector engine over gRPC,
// and the GloVe embedder.
type rig struct {
	st  *store.Store
	vec *vecindex.Index
	svc *embedder.Service
	eng *Engine
	uid int64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	r := &rig{svc: gloveModel(t), st: testenv.Store(t)}
	log := testenv.Logger(t)
	r.vec = vecindex.New(testenv.Vectors(t), r.st, log)
	r.eng = New(Options{Store: r.st, Index: r.vec, Embedders: oneModel{r.svc}, Logger: log})
	uid, err := r.st.LocalUserID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r.uid = uid
	return r
}

type coll struct {
	c      store.Collection
	source store.Source
}

func (r *rig) collection(t *testing.T, name, root string) coll {
	t.Helper()
	ctx := t.Context()
	c, err := r.st.CreateCollection(ctx, store.NewCollection{OwnerID: r.uid, Name: name, ModelName: "glove-6b-100d",
		EmbeddingDims: 100, Quantization: "float32", ChunkSize: 200, ChunkOverlap: 20}, r.uid)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.vec.Ensure(ctx, c); err != nil {
		t.Fatal(err)
	}
	src, err := r.st.AddSource(ctx, c.ID, "directory", root, r.uid)
	if err != nil {
		t.Fatal(err)
	}
	return coll{c: c, source: src}
}

type page struct {
	text string
	page int
}

// add writes a document with its chunks and vectors as the indexer does.
func (r *rig) add(t *testing.T, c coll, path, mime string, modified time.Time, chunks ...page) string {
	t.Helper()
	ctx := t.Context()
	all := ""
	texts := make([]string, len(chunks))
	for i, p := range chunks {
		texts[i] = p.text
		all += p.text
	}
	sum := sha256.Sum256([]byte(path + all))
	a, err := r.st.AttachFile(ctx, c.c.ID, store.FileInfo{SourceID: c.source.ID, Path: path, Size: int64(len(all)),
		Modified: modified, MimeType: mime, Hash: hex.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := r.svc.Embed(ctx, texts, embedder.Document)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]store.ChunkRow, len(chunks))
	points := make([]qdrant.Point, len(chunks))
	for i, p := range chunks {
		rows[i] = store.ChunkRow{Index: i, PointID: qdrant.PointID(a.DocumentID, i), Text: p.text, PageStart: p.page, PageEnd: p.page,
			CharEnd: len(p.text), Embedding: embedder.Float32.Encode(vecs[i]), Format: "float32"}
		points[i] = qdrant.Point{Vector: vecs[i], Payload: qdrant.Payload{DocumentID: a.DocumentID, ChunkIndex: i, Path: path,
			MimeType: mime, Modified: modified, SourceID: itoa(c.source.ID)}}
	}
	if err := r.st.CompleteDocument(ctx, c.c.ID, a.DocumentID, store.DocumentResult{MimeType: mime, Chunks: rows}); err != nil {
		t.Fatal(err)
	}
	if err := r.vec.Upsert(ctx, c.c, points); err != nil {
		t.Fatal(err)
	}
	return a.DocumentID
}

func itoa(n int64) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

var day = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// corpus writes a small library with one obvious answer per topic.
func (r *rig) corpus(t *testing.T, c coll, root string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	docs["cars"] = r.add(t, c, root+"/garage/cars.pdf", "application/pdf", day,
		page{"Introduction to the workshop manual.", 1},
		page{"Change the engine oil every ten thousand kilometres and check the brake pads and tyres.", 2})
	docs["bread"] = r.add(t, c, root+"/kitchen/bread.txt", "text/plain", day.AddDate(0, 1, 0),
		page{"Knead the dough, let it rise overnight, then bake the loaf in a hot oven until the crust is golden.", 0})
	docs["doctor"] = r.add(t, c, root+"/health/clinic.md", "text/markdown", day.AddDate(0, 2, 0),
		page{"The physician examined the patient at the hospital and prescribed medicine for the infection.", 0})
	docs["birds"] = r.add(t, c, root+"/nature/birds.txt", "text/plain", day.AddDate(0, 3, 0),
		page{"Migratory birds fly south in autumn, navigating by the stars and the magnetic field.", 0})
	docs["café"] = r.add(t, c, root+"/travel/paris.txt", "text/plain", day.AddDate(0, 4, 0),
		page{"Le café près de la gare sert un crème brûlée délicieux.", 0})
	docs["cjk"] = r.add(t, c, root+"/travel/beijing.txt", "text/plain", day.AddDate(0, 5, 0),
		page{"北京大学是中国著名的大学。", 0})
	docs["ru"] = r.add(t, c, root+"/travel/moscow.txt", "text/plain", day.AddDate(0, 6, 0),
		page{"Москва — столица России, большой город.", 0})
	return docs
}

func (r *rig) search(t *testing.T, req Request) Response {
	t.Helper()
	resp, err := r.eng.Search(t.Context(), req)
	if err != nil {
		t.Fatalf("search %+v: %v", req, err)
	}
	return resp
}

func ids(resp Response) []string {
	var out []string
	for _, r := range resp.Results {
		out = append(out, r.DocumentID)
	}
	return out
}

func TestSearchModes(t *testing.T) {
	r := newRig(t)
	c := r.collection(t, "Library", "/data/lib")
	docs := r.corpus(t, c, "/data/lib")
	tests := []struct {
		query string
		mode  Mode
		want  string
	}{
		{"engine oil", Keyword, "cars"},
		{"engine oil", Hybrid, "cars"},
		{"automobile repair mechanic", Semantic, "cars"},
		{"doctor treating a sick person", Semantic, "doctor"},
		{"doctor treating a sick person", Hybrid, "doctor"},
		{"baking", Keyword, "bread"}, // stemming: baking ~ bake
		{"cafe creme", Keyword, "café"},
		{"大学", Keyword, "cjk"},
		{"МОСКВА", Keyword, "ru"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+" "+tt.query, func(t *testing.T) {
			resp := r.search(t, Request{Query: tt.query, Mode: tt.mode, CollectionIDs: []string{c.c.ID}})
			if len(resp.Results) == 0 || resp.Results[0].DocumentID != docs[tt.want] {
				t.Fatalf("top result = %v, want %s (%s)", ids(resp), tt.want, docs[tt.want])
			}
			top := resp.Results[0]
			if top.Score <= 0 || top.Score > 1 {
				t.Errorf("score %v outside (0, 1]", top.Score)
			}
			if tt.mode == Keyword && len(top.Passages[0].Snippet.Highlights) == 0 {
				t.Errorf("keyword hit without highlights: %+v", top.Passages[0].Snippet)
			}
		})
	}
	// The keyword hit is on page 2 of the PDF; its snippet marks the terms.
	resp := r.search(t, Request{Query: "brake pads", Mode: Keyword})
	p := resp.Results[0].Passages[0]
	if p.Page != 2 || p.ChunkIndex != 1 {
		t.Errorf("passage page %d chunk %d, want page 2 chunk 1", p.Page, p.ChunkIndex)
	}
	if got := len(p.Snippet.Highlights); got != 2 {
		t.Errorf("highlights = %d in %q, want 2", got, p.Snippet.Text)
	}
	if _, err := r.eng.Search(t.Context(), Request{Query: "  "}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty query: err = %v, want ErrInvalid", err)
	}
	if _, err := r.eng.Search(t.Context(), Request{Query: "x", CollectionIDs: []string{"4f7c2b1e-0000-4000-8000-000000000000"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown collection: err = %v, want ErrNotFound", err)
	}
}

func TestSearchFilters(t *testing.T) {
	r := newRig(t)
	c := r.collection(t, "Library", "/data/lib")
	docs := r.corpus(t, c, "/data/lib")
	for _, mode := range []Mode{Keyword, Semantic, Hybrid} {
		for _, tt := range []struct {
			name string
			f    Filters
			want []string
		}{
			{"folder", Filters{Folders: []string{"/data/lib/travel"}}, []string{"café", "cjk", "ru"}},
			{"type", Filters{FileTypes: []string{"pdf", "text/markdown"}}, []string{"cars", "doctor"}},
			{"modified", Filters{ModifiedFrom: ptr(day.AddDate(0, 1, 0)), ModifiedBefore: ptr(day.AddDate(0, 3, 0))}, []string{"bread", "doctor"}},
			{"source", Filters{SourceIDs: []int64{c.source.ID + 1000}}, nil},
			{"status", Filters{Statuses: []string{"failed"}}, nil},
		} {
			t.Run(string(mode)+" "+tt.name, func(t *testing.T) {
				// A query touching every document in some way.
				resp := r.search(t, Request{Query: "the oven engine patient birds café 大学 Москва", Mode: mode, Filters: tt.f, Limit: 50})
				want := map[string]bool{}
				for _, k := range tt.want {
					want[docs[k]] = true
				}
				for _, id := range ids(resp) {
					if !want[id] {
						t.Errorf("result %s passes no filter (%+v)", id, tt.f)
					}
				}
				if mode == Keyword && len(resp.Results) != len(tt.want) {
					t.Errorf("got %d results, want %d", len(resp.Results), len(tt.want))
				}
			})
		}
	}
}

func TestGroupingAndPaging(t *testing.T) {
	r := newRig(t)
	c := r.collection(t, "Notes", "/data/notes")
	var many []page
	for range 6 {
		many = append(many, page{"a note about the lighthouse keeper and the lighthouse lamp", 0})
	}
	big := r.add(t, c, "/data/notes/lighthouse.txt", "text/plain", day, many...)
	for i := range 11 {
		r.add(t, c, "/data/notes/n"+itoa(int64(i))+".txt", "text/plain", day, page{"the lighthouse in story " + itoa(int64(i)), 0})
	}
	resp := r.search(t, Request{Query: "lighthouse lamp", Mode: Keyword, Limit: 5})
	if resp.Results[0].DocumentID != big {
		t.Fatalf("top = %s, want the document with the most matches", resp.Results[0].DocumentID)
	}
	if got := resp.Results[0]; len(got.Passages) != DefaultPassages || got.MoreMatches != 3 {
		t.Errorf("passages %d, more %d; want %d and 3", len(got.Passages), got.MoreMatches, DefaultPassages)
	}
	seen := map[string]bool{}
	pages := 0
	for off := 0; ; off += 5 {
		resp := r.search(t, Request{Query: "lighthouse lamp", Mode: Hybrid, Limit: 5, Offset: off})
		pages++
		for _, id := range ids(resp) {
			if seen[id] {
				t.Errorf("document %s on two pages", id)
			}
			seen[id] = true
		}
		if !resp.HasMore {
			break
		}
	}
	if len(seen) != 12 || pages != 3 {
		t.Errorf("paged through %d documents in %d pages, want 12 in 3", len(seen), pages)
	}
}

// TestFollowsPostgres changes documents behind the engine's back, the
// way the indexer does, and checks that every mode sees it at once.
func TestFollowsPostgres(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	c := r.collection(t, "Library", "/data/lib")
	docs := r.corpus(t, c, "/data/lib")
	find := func(q string) map[Mode][]string {
		out := map[Mode][]string{}
		for _, m := range []Mode{Keyword, Semantic, Hybrid} {
			out[m] = ids(r.search(t, Request{Query: q, Mode: m, Limit: 50}))
		}
		return out
	}
	has := func(list []string, id string) bool { return strings.Contains(strings.Join(list, ","), id) }
	_ = find("bread") // builds the index

	added := r.add(t, c, "/data/lib/kitchen/soup.txt", "text/plain", day, page{"A hearty vegetable soup with lentils.", 0})
	if got := find("lentils soup"); !has(got[Keyword], added) || !has(got[Hybrid], added) {
		t.Errorf("a new document is not found: %v", got)
	}

	// Soft delete: the vectors are still in the index, the row is hidden.
	if _, err := r.st.Pool().Exec(ctx, `UPDATE documents SET deleted_at = now() WHERE id = $1`, docs["bread"]); err != nil {
		t.Fatal(err)
	}
	for m, got := range find("knead dough bake loaf oven") {
		if has(got, docs["bread"]) {
			t.Errorf("%s search returns a soft-deleted document", m)
		}
	}

	if err := r.st.FailDocument(ctx, docs["birds"], "unreadable"); err != nil {
		t.Fatal(err)
	}
	for m, got := range find("migratory birds") {
		if has(got, docs["birds"]) {
			t.Errorf("%s search returns a failed document", m)
		}
	}

	if _, err := r.st.DetachPaths(ctx, c.c.ID, []string{"/data/lib/garage/cars.pdf"}); err != nil {
		t.Fatal(err)
	}
	for m, got := range find("engine oil brake") {
		if has(got, docs["cars"]) {
			t.Errorf("%s search returns a document whose file is gone", m)
		}
	}
}

func TestMultiCollection(t *testing.T) {
	r := newRig(t)
	a := r.collection(t, "A", "/data/a")
	b := r.collection(t, "B", "/data/b")
	da := r.add(t, a, "/data/a/x.txt", "text/plain", day, page{"volcano eruption ash cloud", 0})
	db := r.add(t, b, "/data/b/y.txt", "text/plain", day, page{"volcano lava", 0})
	resp := r.search(t, Request{Query: "volcano"})
	got := map[string]string{}
	for _, res := range resp.Results {
		got[res.DocumentID] = res.CollectionID
	}
	if got[da] != a.c.ID || got[db] != b.c.ID {
		t.Errorf("results %v, want one from each collection", got)
	}
	resp = r.search(t, Request{Query: "volcano", CollectionIDs: []string{b.c.ID}})
	if len(resp.Results) != 1 || resp.Results[0].DocumentID != db {
		t.Errorf("collection B alone gave %v", ids(resp))
	}
}

func TestSupersede(t *testing.T) {
	r := newRig(t)
	c := r.collection(t, "Library", "/data/lib")
	r.corpus(t, c, "/data/lib")
	var cause error
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	r.eng.mu.Lock()
	r.eng.running["box"] = &inflight{cancel: func(err error) { cause = err; cancel(err) }}
	r.eng.mu.Unlock()
	if _, err := r.eng.Search(t.Context(), Request{Query: "bread", Supersedes: "box"}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(cause, ErrSuperseded) || ctx.Err() == nil {
		t.Errorf("the earlier request was not cancelled (cause %v)", cause)
	}
	r.eng.mu.Lock()
	left := len(r.eng.running)
	r.eng.mu.Unlock()
	if left != 0 {
		t.Errorf("%d requests still registered", left)
	}
}
