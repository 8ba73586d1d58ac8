package indexer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/httpapi"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// BenchmarkIndexNFCorpus indexes NFCorpus (one file per document) with
// the MiniLM-L6-shaped int8 model through the whole pipeline, then embeds
// the very same chunks with the bare embedder at every batch size in the
// same run, and reports the pipeline's chunk rate over the best of them.
// QUARRY_BENCH_DOCS limits the corpus (default: all 3,633 documents).
func BenchmarkIndexNFCorpus(b *testing.B) {
	corpus := filepath.Join(testenv.SharedDir(b), "datasets", "beir", "nfcorpus", "corpus.jsonl")
	limit := 0
	if v, err := strconv.Atoi(os.Getenv("QUARRY_BENCH_DOCS")); err == nil {
		limit = v
	}
	dir := b.TempDir()
	files := writeCorpus(b, corpus, dir, limit)
	for range b.N {
		r := newRig(b)
		r.timeout = time.Hour
		r.start()
		ctx := b.Context()
		// Pipeline and bare embedder alternate twice, so that a machine
		// getting busier or quieter during the run weighs on both alike.
		var pipe time.Duration
		var pipeRSS int64
		var texts []string
		for round := range 2 {
			c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: fmt.Sprintf("nfcorpus %d", round), Model: "all-MiniLM-L6-v2", Quantization: "int8"})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir})
			if err != nil {
				b.Fatal(err)
			}
			op := r.wait(b, src.OperationID)
			pipe += time.Since(t0)
			pipeRSS = max(pipeRSS, peakRSS())
			if op.Status != "completed" {
				b.Fatalf("index = %s: %s", op.Status, op.Error)
			}
			r.consistent(b, c.ID)
			if texts == nil {
				texts = chunkTexts(b, r, c.ID)
			}
		}
		// The same chunk texts, through the same loaded model, with nothing
		// else going on, at every batch size: the pipeline is held against
		// the best of them, not against itself.
		emb, err := r.emb.Get(ctx, "all-MiniLM-L6-v2")
		if err != nil {
			b.Fatal(err)
		}
		// Bare configurations: every batch size, with the chunks in their
		// order and sorted by length (as the pipeline batches them), so
		// that the pipeline's sorting is not counted as its own merit.
		sorted := slices.Clone(texts)
		slices.SortStableFunc(sorted, func(a, b string) int { return len(b) - len(a) })
		var bare time.Duration
		bestBatch, bestOrder := 0, ""
		for _, order := range []struct {
			name  string
			texts []string
		}{{"document order", texts}, {"sorted by length", sorted}} {
			for _, size := range []int{4, 8, 16, 32, 64} {
				t1 := time.Now()
				for start := 0; start < len(order.texts); start += size {
					if _, err := emb.Embed(ctx, order.texts[start:min(start+size, len(order.texts))], embedder.Document); err != nil {
						b.Fatal(err)
					}
				}
				took := time.Since(t1)
				b.Logf("bare embedder, batch %d, %s: %.1f chunks/s", size, order.name, float64(len(order.texts))/took.Seconds())
				if bare == 0 || took < bare {
					bare, bestBatch, bestOrder = took, size, order.name
				}
			}
		}
		bare *= 2 // the pipeline embedded the texts twice
		r.stop()

		n := float64(2 * len(texts))
		b.ReportMetric(float64(2*files)/pipe.Seconds(), "files/s")
		b.ReportMetric(n/pipe.Seconds(), "chunks/s")
		b.ReportMetric(n/bare.Seconds(), "best-bare-chunks/s")
		b.ReportMetric(float64(bestBatch), "best-bare-batch")
		b.ReportMetric(bare.Seconds()/pipe.Seconds(), "pipeline/best-bare")
		b.ReportMetric(float64(pipeRSS)/(1<<20), "peak-RSS-MiB")
		b.Logf("%d files, %d chunks, twice: pipeline %v, best bare embedder (batch %d, %s) %v, ratio %.3f; GOMAXPROCS %d",
			files, len(texts), pipe.Round(time.Millisecond), bestBatch, bestOrder, bare.Round(time.Millisecond), bare.Seconds()/pipe.Seconds(), runtime.GOMAXPROCS(0))
	}
}

func chunkTexts(b *testing.B, r *rig, collectionID string) []string {
	b.Helper()
	var texts []string
	rows, err := r.st.Pool().Query(b.Context(), `SELECT text FROM chunks WHERE collection_id = $1 ORDER BY document_id, chunk_index`, collectionID)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, s)
	}
	return texts
}

func writeCorpus(b *testing.B, corpus, dir string, limit int) int {
	b.Helper()
	f, err := os.Open(corpus)
	if err != nil {
		testenv.Missing(b, "NFCorpus: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			b.Fatal(err)
		}
		body := strings.TrimSpace(d.Title + "\n\n" + d.Text)
		if err := os.WriteFile(filepath.Join(dir, d.ID+".txt"), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		n++
		if limit > 0 && n >= limit {
			break
		}
	}
	return n
}

// peakRSS is this process's high-water resident memory (Linux).
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkReindexNFCorpus indexes NFCorpus with GloVe, then reindexes it
// twice with the folder moved away (so no file can be opened): precision
// only (float32 → int8: re-encoding, no model call) and a model change to
// the MiniLM-L6-shaped model (re-cut and re-embedded from the stored
// text). Meanwhile another collection is searched in a loop; its latency
// is compared with the same loop on an idle machine.
// QUARRY_BENCH_DOCS limits the corpus (default: all 3,633 documents).
func BenchmarkReindexNFCorpus(b *testing.B) {
	corpus := filepath.Join(testenv.SharedDir(b), "datasets", "beir", "nfcorpus", "corpus.jsonl")
	limit := 0
	if v, err := strconv.Atoi(os.Getenv("QUARRY_BENCH_DOCS")); err == nil {
		limit = v
	}
	dir := filepath.Join(b.TempDir(), "corpus")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	files := writeCorpus(b, corpus, dir, limit)
	other := filepath.Join(b.TempDir(), "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		b.Fatal(err)
	}
	writeCorpus(b, corpus, other, 300)
	for range b.N {
		r := reindexRig(b)
		r.timeout = time.Hour
		r.start()
		ctx := b.Context()
		index := func(name, path string) service.Collection {
			c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: name, Model: "glove-6b-100d"})
			if err != nil {
				b.Fatal(err)
			}
			src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: path})
			if err != nil {
				b.Fatal(err)
			}
			if op := r.wait(b, src.OperationID); op.Status != "completed" {
				b.Fatalf("index = %s: %s", op.Status, op.Error)
			}
			return c
		}
		c := index("nfcorpus", dir)
		bystander := index("other", other)
		if err := os.Rename(dir, dir+".away"); err != nil {
			b.Fatal(err)
		}
		// latencies searches the bystander collection until stop closes.
		latencies := func(stop <-chan struct{}) []time.Duration {
			var out []time.Duration
			for i := 0; ; i++ {
				select {
				case <-stop:
					return out
				default:
				}
				t0 := time.Now()
				if _, err := r.svc.Search(ctx, service.SearchRequest{Query: fmt.Sprintf("vitamin d deficiency %d", i%7),
					Mode: search.Hybrid, CollectionIDs: []string{bystander.ID}}); err != nil {
					b.Fatal(err)
				}
				out = append(out, time.Since(t0))
				time.Sleep(20 * time.Millisecond)
			}
		}
		idleStop := make(chan struct{})
		time.AfterFunc(3*time.Second, func() { close(idleStop) })
		idle := latencies(idleStop)

		reindex := func(req service.ReindexRequest) (service.Operation, time.Duration, []time.Duration) {
			stop := make(chan struct{})
			got := make(chan []time.Duration)
			go func() { got <- latencies(stop) }()
			t0 := time.Now()
			op, err := r.svc.ReindexCollection(ctx, c.ID, req)
			if err != nil {
				b.Fatal(err)
			}
			op = r.wait(b, op.ID)
			took := time.Since(t0)
			close(stop)
			if op.Status != "completed" {
				b.Fatalf("reindex %+v = %s: %s", req, op.Status, op.Error)
			}
			r.consistent(b, c.ID)
			return op, took, <-got
		}
		precOp, prec, precLat := reindex(service.ReindexRequest{Quantization: ptr("int8")})
		modelOp, model, modelLat := reindex(service.ReindexRequest{Model: ptr("all-MiniLM-L6-v2")})
		r.stop()
		if err := os.Rename(dir+".away", dir); err != nil {
			b.Fatal(err)
		}
		got, _ := r.st.GetCollection(ctx, c.ID)
		b.ReportMetric(prec.Seconds(), "precision-s")
		b.ReportMetric(precOp.Progress["model_calls"].(float64), "precision-model-calls")
		b.ReportMetric(model.Seconds(), "model-change-s")
		b.ReportMetric(model.Seconds()/prec.Seconds(), "model/precision")
		b.ReportMetric(float64(median(idle).Microseconds())/1000, "bystander-idle-ms")
		b.ReportMetric(float64(median(modelLat).Microseconds())/1000, "bystander-during-ms")
		b.Logf("%d files, %d chunks after the model change (%v model calls); precision-only %v, model change %v (%.1fx); "+
			"bystander hybrid search median/p95: idle %v/%v, during precision %v/%v, during model change %v/%v",
			files, got.ChunkCount, modelOp.Progress["model_calls"], prec.Round(time.Millisecond), model.Round(time.Millisecond),
			model.Seconds()/prec.Seconds(), median(idle), p95(idle), median(precLat), p95(precLat), median(modelLat), p95(modelLat))
	}
}

func median(d []time.Duration) time.Duration { return quantile(d, 0.5) }
func p95(d []time.Duration) time.Duration    { return quantile(d, 0.95) }

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))].Round(100 * time.Microsecond)
}

// BenchmarkKeywordSearchable10k times how long a new tree of 10,000 small
// text files takes to be found by keyword, end to end (from adding the
// folder until every file's chunk is committed and a keyword search finds
// the last one), with GloVe (embedding runs in the same operation) and
// with a model that is not installed (text only).
func BenchmarkKeywordSearchable10k(b *testing.B) {
	const files = 10_000
	dir := filepath.Join(b.TempDir(), "tree")
	for i := range files {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		body := fmt.Sprintf("Note %d. The ferry timetable changes in spring; marker zq%dx.\n", i, i)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("n%05d.txt", i)), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		r := reindexRig(b)
		r.timeout = time.Hour
		r.start()
		ctx := b.Context()
		for _, model := range []string{"bge-small-en-v1.5", "glove-6b-100d"} {
			c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: model, Model: model})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir})
			if err != nil {
				b.Fatal(err)
			}
			var text time.Duration
			for {
				got, err := r.st.GetCollection(ctx, c.ID)
				if err != nil {
					b.Fatal(err)
				}
				if got.ChunkCount >= files {
					resp, err := r.svc.Search(ctx, service.SearchRequest{Query: fmt.Sprintf("zq%dx", files-1), Mode: search.Keyword, CollectionIDs: []string{c.ID}})
					if err == nil && len(resp.Results) > 0 {
						text = time.Since(t0)
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			op := r.wait(b, src.OperationID)
			done := time.Since(t0)
			b.ReportMetric(text.Seconds(), model+"-keyword-s")
			b.Logf("%s: %d files keyword-searchable after %v; operation %s after %v (%v)", model, files, text.Round(time.Millisecond), op.Status, done.Round(time.Millisecond), op.Progress["phase"])
		}
		r.stop()
	}
}

// BenchmarkSearchOneModelMissing times searches over every collection
// through the HTTP API while one collection's model is missing (not
// installed, its download unreachable): each mode answers 200 with that
// collection searched by keyword and named in the warnings. It reports the
// median and p95 per mode and fails on any status other than 200.
func BenchmarkSearchOneModelMissing(b *testing.B) {
	r := reindexRig(b)
	r.start()
	defer r.stop()
	ctx := b.Context()
	for _, c := range []struct{ name, model, word string }{
		{"Has its model", "glove-6b-100d", "harbour"},
		{"Model missing", "bge-small-en-v1.5", "lantern"},
	} {
		coll, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: c.name, Model: c.model})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		for i := range 300 {
			write(b, filepath.Join(dir, fmt.Sprintf("%s-%03d.txt", c.word, i)), fmt.Sprintf("%s note %d: %s", c.word, i, paragraphs(i, 2)))
		}
		src, err := r.svc.AddSource(ctx, coll.ID, service.AddSourceRequest{Path: dir})
		if err != nil {
			b.Fatal(err)
		}
		if op := r.wait(b, src.OperationID); op.Status != "completed" {
			b.Fatalf("index %s: %s %s", c.name, op.Status, op.Error)
		}
	}
	srv := httptest.NewServer(httpapi.New(r.svc, nil, nil))
	defer srv.Close()
	const rounds = 100
	for range b.N {
		for _, mode := range []search.Mode{search.Keyword, search.Semantic, search.Hybrid} {
			var took []time.Duration
			for i := range rounds {
				body := fmt.Sprintf(`{"query":"lantern harbour note %d","mode":%q}`, i, mode)
				t0 := time.Now()
				resp, err := http.Post(srv.URL+"/api/v1/search", "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				var out struct {
					Results  []json.RawMessage `json:"results"`
					Warnings []string          `json:"warnings"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				took = append(took, time.Since(t0))
				if resp.StatusCode != http.StatusOK || err != nil {
					b.Fatalf("%s search: HTTP %d (%v)", mode, resp.StatusCode, err)
				}
				if len(out.Results) == 0 || (mode != search.Keyword && len(out.Warnings) == 0) {
					b.Fatalf("%s search: %d results, warnings %v", mode, len(out.Results), out.Warnings)
				}
			}
			b.ReportMetric(float64(quantile(took, 0.5).Microseconds())/1000, string(mode)+"-median-ms")
			b.Logf("%s over both collections, one model missing: median %v, p95 %v, %d × HTTP 200", mode, quantile(took, 0.5), quantile(took, 0.95), rounds)
		}
	}
}
