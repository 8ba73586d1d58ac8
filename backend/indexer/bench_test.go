package indexer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// BenchmarkIndexNFCorpus indexes NFCorpus (one file per document) with
// the MiniLM-L6-shaped int8 model through the whole pipeline, then embeds
// the very same chunks with the bare embedder in the same run, and
// reports the ratio of the two chunk rates (the pipeline's overhead).
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
		var pipe, bare time.Duration
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
			// The same chunk texts, through the same loaded model, in
			// batches of the same size, with nothing else going on.
			emb, err := r.emb.Get(ctx, "all-MiniLM-L6-v2")
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			for start := 0; start < len(texts); start += 64 {
				if _, err := emb.Embed(ctx, texts[start:min(start+64, len(texts))], embedder.Document); err != nil {
					b.Fatal(err)
				}
			}
			bare += time.Since(t1)
		}
		r.stop()

		n := float64(2 * len(texts))
		b.ReportMetric(float64(2*files)/pipe.Seconds(), "files/s")
		b.ReportMetric(n/pipe.Seconds(), "chunks/s")
		b.ReportMetric(n/bare.Seconds(), "bare-chunks/s")
		b.ReportMetric(bare.Seconds()/pipe.Seconds(), "pipeline/bare")
		b.ReportMetric(float64(pipeRSS)/(1<<20), "peak-RSS-MiB")
		b.Logf("%d files, %d chunks, twice: pipeline %v, bare embedder %v, ratio %.3f; GOMAXPROCS %d",
			files, len(texts), pipe.Round(time.Millisecond), bare.Round(time.Millisecond), bare.Seconds()/pipe.Seconds(), runtime.GOMAXPROCS(0))
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
