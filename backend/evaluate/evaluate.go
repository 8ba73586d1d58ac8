// Package evaluate is `quarry eval`: it indexes a BEIR-format dataset into
// a throwaway collection as the app indexes a folder (the indexer's
// operation, pipeline and write path, the model pool), runs every query through the product's search in each mode,
// and reports nDCG@10, Recall@100 and MRR@10 as text and JSON.
package evaluate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/models/uselite"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/qdrantd"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// EnvDatabaseURL points the evaluator at an existing PostgreSQL instead of
// a temporary embedded one.
const EnvDatabaseURL = "QUARRY_DATABASE_URL"

// Report is what a run measured.
type Report struct {
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Model   string `json:"model"`
	// Reranker names the cross-encoder of the "hybrid+rerank" mode.
	Reranker string         `json:"reranker,omitempty"`
	Docs     int            `json:"documents"`
	Fusion   search.Fusion  `json:"fusion"`
	Modes    []ModeResult   `json:"modes"`
	Sweep    []SweepResult  `json:"sweep,omitempty"`
	Timings  map[string]any `json:"timings"`
}

// ModeResult is one search mode's scores.
type ModeResult struct {
	Mode search.Mode `json:"mode"`
	Scores
	MedianMS float64 `json:"median_ms"`
}

// SweepResult is hybrid search with one fusion setting.
type SweepResult struct {
	Fusion search.Fusion `json:"fusion"`
	Scores
}

type options struct {
	dataset, split, model, modelDir, dbURL, format, jsonPath, fusion string
	weight                                                           float64
	sweep                                                            string
	maxQueries                                                       int
	reranker, rerankerDir                                            string
	rerankDepth, chunkSize                                           int
	verbose                                                          bool
}

// Run executes `quarry eval` with args (the subcommand's own flags) and
// returns the process exit code.
func Run(ctx context.Context, args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("quarry eval", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var o options
	fs.StringVar(&o.dataset, "dataset", "", "BEIR dataset `folder` (corpus.jsonl, queries.jsonl, qrels/)")
	fs.StringVar(&o.split, "split", "test", "qrels split to score: test, dev or train")
	fs.StringVar(&o.model, "model", "glove-6b-100d", "registered embedding model for semantic and hybrid search")
	fs.StringVar(&o.modelDir, "model-dir", "", "`folder` holding the model's files (default: found in the shared models folder)")
	fs.StringVar(&o.dbURL, "database-url", os.Getenv(EnvDatabaseURL), "PostgreSQL to use (default: a temporary embedded server)")
	fs.StringVar(&o.format, "format", "both", "output: text, json or both")
	fs.StringVar(&o.jsonPath, "json", "", "also write the JSON report to this `file`")
	fs.StringVar(&o.fusion, "fusion", search.DefaultFusion.Method, "hybrid fusion: convex, minmax or rrf")
	fs.Float64Var(&o.weight, "weight", -1, "hybrid fusion: the semantic side's weight, 0–1 (default: the model's own, as the app uses it)")
	fs.StringVar(&o.sweep, "sweep", "", "comma-separated semantic weights to score hybrid search with (tuning)")
	fs.IntVar(&o.maxQueries, "max-queries", 0, "score only the first `n` queries (0: all)")
	fs.StringVar(&o.rerankerDir, "reranker-dir", "", "also score hybrid search reranked by the cross-encoder whose files are in this `folder`")
	fs.StringVar(&o.reranker, "reranker", "ms-marco-MiniLM-L-6-v2", "registered reranker the -reranker-dir files are")
	fs.IntVar(&o.rerankDepth, "rerank-depth", search.DefaultRerankDepth, "documents the reranker re-scores per query")
	fs.IntVar(&o.chunkSize, "chunk-size", 0, "chunk size in tokens (default: as much of a document as the model reads)")
	fs.BoolVar(&o.verbose, "v", false, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dataset == "" {
		fmt.Fprintln(os.Stderr, "quarry eval: -dataset is required")
		fs.Usage()
		return 2
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	rep, err := run(ctx, o, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "quarry eval: %v\n", err)
		return 1
	}
	if o.format == "text" || o.format == "both" {
		printText(stdout, rep)
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	if o.format == "json" || o.format == "both" {
		fmt.Fprintln(stdout, string(js))
	}
	if o.jsonPath != "" {
		if err := os.WriteFile(o.jsonPath, append(js, '\n'), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "quarry eval: %v\n", err)
			return 1
		}
	}
	return 0
}

func printText(w io.Writer, rep Report) {
	fmt.Fprintf(w, "%s (%s split, %d documents), model %s, fusion %s w=%.2f\n",
		filepath.Base(rep.Dataset), rep.Split, rep.Docs, rep.Model, rep.Fusion.Method, rep.Fusion.Weight)
	if rep.Reranker != "" {
		fmt.Fprintf(w, "reranker %s\n", rep.Reranker)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tnDCG@10\tRecall@100\tMRR@10\tqueries\tmedian ms\t")
	for _, m := range rep.Modes {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\t%.1f\t\n", m.Mode, m.NDCG10, m.Recall100, m.MRR10, m.Queries, m.MedianMS)
	}
	tw.Flush()
	if len(rep.Sweep) > 0 {
		fmt.Fprintln(w, "hybrid sweep:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "fusion\tweight\tnDCG@10\tRecall@100\tMRR@10\t")
		for _, s := range rep.Sweep {
			fmt.Fprintf(tw, "%s\t%.2f\t%.4f\t%.4f\t%.4f\t\n", s.Fusion.Method, s.Fusion.Weight, s.NDCG10, s.Recall100, s.MRR10)
		}
		tw.Flush()
	}
}

func run(ctx context.Context, o options, log *slog.Logger) (Report, error) {
	rep := Report{Dataset: o.dataset, Split: o.split, Model: o.model, Timings: map[string]any{}}
	t0 := time.Now()
	ds, err := LoadDataset(o.dataset, o.split)
	if err != nil {
		return rep, err
	}
	rep.Docs = len(ds.Docs)
	m, ok := models.Lookup(o.model)
	if !ok {
		return rep, fmt.Errorf("model %q is not registered", o.model)
	}
	tmp, err := os.MkdirTemp("", "quarry-eval-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	if os.Geteuid() == 0 {
		// PostgreSQL runs as an unprivileged user when Quarry is root; it
		// must reach its folder inside this one.
		if err := os.Chmod(tmp, 0o755); err != nil {
			return rep, err
		}
	}

	url := o.dbURL
	if url == "" {
		bin, err := pgserver.ResolveBinaries("")
		if err != nil {
			return rep, err
		}
		pg, err := pgserver.New(pgserver.Config{Binaries: bin, Dir: filepath.Join(tmp, "postgres"), Logger: log})
		if err != nil {
			return rep, err
		}
		if err := pg.Start(); err != nil {
			return rep, err
		}
		defer pg.Stop()
		url = pg.URL()
	}
	if err := store.Migrate(url); err != nil {
		return rep, err
	}
	st, err := store.Open(ctx, url, log)
	if err != nil {
		return rep, err
	}
	defer st.Close()

	// The model is installed into a models folder of this run and served
	// by the same pool the app uses, to the indexer and to search.
	if err := installModel(ctx, m, o.modelDir, tmp); err != nil {
		return rep, err
	}
	pool := modelpool.New(filepath.Join(tmp, "models"), filepath.Join(tmp, "cache"), "auto", log)
	defer pool.Close()
	svc, err := pool.Get(ctx, m.Name)
	if err != nil {
		return rep, fmt.Errorf("open model %s: %w", m.Name, err)
	}
	var rr *embedder.Service
	if o.rerankerDir != "" {
		rm, ok := models.Lookup(o.reranker)
		if !ok || rm.Kind != models.KindReranker {
			return rep, fmt.Errorf("%q is not a registered reranker", o.reranker)
		}
		if err := installModel(ctx, rm, o.rerankerDir, tmp); err != nil {
			return rep, err
		}
		if rr, err = embedder.Open(ctx, embedder.Config{Model: rm, Dir: filepath.Join(tmp, "models", rm.Name),
			Variant: localVariant(rm, o.rerankerDir), CacheDir: filepath.Join(tmp, "cache"), Logger: log}); err != nil {
			return rep, err
		}
		defer rr.Close()
		rep.Reranker = rm.Name
	}

	// The built-in vector engine, served in-process for this run.
	eng, err := qdrantd.NewEmbeddedEngine(log)
	if err != nil {
		return rep, err
	}
	engCtx, stopEngine := context.WithCancel(context.Background())
	var engDone sync.WaitGroup
	engDone.Go(func() { _ = eng.Serve(engCtx) })
	defer func() { stopEngine(); engDone.Wait() }()
	qc, err := qdrant.New(qdrant.Config{URL: eng.Endpoint().URL, APIKey: eng.Endpoint().APIKey, Logger: log})
	if err != nil {
		return rep, err
	}
	defer qc.Close()
	vec := vecindex.New(qc, st, log)

	// BEIR scores whole documents: by default a chunk holds as much of a
	// document as the model reads.
	chunkSize := o.chunkSize
	if chunkSize <= 0 {
		chunkSize = svc.Info().MaxSeqLen
	}
	chunkSize = max(chunkSize, models.MinChunkSize)
	uid, err := st.LocalUserID(ctx)
	if err != nil {
		return rep, err
	}
	c, err := st.CreateCollection(ctx, store.NewCollection{
		OwnerID: uid, Name: "eval-" + randomHex(6), Description: "quarry eval " + filepath.Base(o.dataset),
		ModelName: m.Name, EmbeddingDims: svc.Info().Dims, Quantization: string(embedder.Float32),
		ChunkSize: chunkSize, ChunkOverlap: m.DefaultChunkOverlap,
	}, uid)
	if err != nil {
		return rep, err
	}
	// A throwaway collection: gone afterwards even in a shared database.
	defer func() {
		_ = vec.Drop(context.Background(), c)
		_ = st.DeleteCollection(context.Background(), c.ID, uid)
	}()
	t1 := time.Now()
	paths, err := ingest(ctx, st, vec, pool, c, ds, filepath.Join(tmp, "corpus"), log)
	if err != nil {
		return rep, err
	}
	rep.Timings["ingest_s"] = time.Since(t1).Seconds()

	queries := queryIDs(ds, o.maxQueries)
	emb := pool
	if o.weight < 0 {
		o.weight = m.HybridFusion().Weight
	}
	f := search.Fusion{Method: o.fusion, Weight: o.weight}
	rep.Fusion = f
	opts := search.Options{Store: st, Index: vec, Embedders: emb, Fusion: &f, Logger: log}
	if rr != nil {
		opts.Rerankers = reranker{rr}
	}
	engine := search.New(opts)
	t1 = time.Now()
	if err := engine.Warm(ctx); err != nil {
		return rep, err
	}
	rep.Timings["keyword_index_s"] = time.Since(t1).Seconds()
	for _, mode := range []search.Mode{search.Keyword, search.Semantic, search.Hybrid} {
		s, med, err := score(ctx, engine, c.ID, search.Request{Mode: mode}, ds, queries, paths)
		if err != nil {
			return rep, err
		}
		rep.Modes = append(rep.Modes, ModeResult{Mode: mode, Scores: s, MedianMS: med})
	}
	if rr != nil {
		s, med, err := score(ctx, engine, c.ID, search.Request{Mode: search.Hybrid, Rerank: true, RerankDepth: o.rerankDepth}, ds, queries, paths)
		if err != nil {
			return rep, err
		}
		rep.Modes = append(rep.Modes, ModeResult{Mode: search.Hybrid + "+rerank", Scores: s, MedianMS: med})
	}
	for _, w := range strings.Split(o.sweep, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		wt, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return rep, fmt.Errorf("-sweep: %w", err)
		}
		f := search.Fusion{Method: o.fusion, Weight: wt}
		e := search.New(search.Options{Store: st, Index: vec, Embedders: emb, Fusion: &f, Logger: log})
		s, _, err := score(ctx, e, c.ID, search.Request{Mode: search.Hybrid}, ds, queries, paths)
		if err != nil {
			return rep, err
		}
		rep.Sweep = append(rep.Sweep, SweepResult{Fusion: f, Scores: s})
	}
	rep.Timings["total_s"] = time.Since(t0).Seconds()
	return rep, nil
}

func queryIDs(ds *Dataset, limit int) []string {
	var ids []string
	for id := range ds.Qrels {
		if _, ok := ds.Queries[id]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}

// score runs every query in one mode and averages the metrics.
func score(ctx context.Context, e *search.Engine, collectionID string, req search.Request, ds *Dataset, queries []string, paths map[string]string) (Scores, float64, error) {
	var s Scores
	var took []float64
	req.CollectionIDs, req.Limit, req.Passages = []string{collectionID}, 100, 1
	for _, qid := range queries {
		t := time.Now()
		req.Query = ds.Queries[qid]
		resp, err := e.Search(ctx, req)
		if errors.Is(err, search.ErrInvalid) {
			resp = search.Response{} // a query with no searchable text ranks nothing
		} else if err != nil {
			return s, 0, fmt.Errorf("query %s: %w", qid, err)
		}
		took = append(took, float64(time.Since(t).Microseconds())/1000)
		ranked := make([]string, 0, len(resp.Results))
		for _, r := range resp.Results {
			ranked = append(ranked, paths[r.Path])
		}
		rel := ds.Qrels[qid]
		s.NDCG10 += NDCG(ranked, rel, 10)
		s.Recall100 += Recall(ranked, rel, 100)
		s.MRR10 += MRR(ranked, rel, 10)
		s.Queries++
	}
	if s.Queries > 0 {
		n := float64(s.Queries)
		s.NDCG10, s.Recall100, s.MRR10 = s.NDCG10/n, s.Recall100/n, s.MRR10/n
	}
	slices.Sort(took)
	med := 0.0
	if len(took) > 0 {
		med = took[len(took)/2]
	}
	return s, med, nil
}

// ingest writes every corpus document as a text file (title and text)
// into a folder and indexes the folder as the app does — the indexer's
// operation, pipeline and write path. It returns each document's path →
// corpus id.
func ingest(ctx context.Context, st *store.Store, vec *vecindex.Index, pool *modelpool.Pool, c store.Collection, ds *Dataset, dir string, log *slog.Logger) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make(map[string]string, len(ds.Docs))
	for i, d := range ds.Docs {
		// Corpus ids are not always file names: the file is named by its
		// position, the map gives the id back.
		p := filepath.Join(dir, fmt.Sprintf("%06d.txt", i))
		paths[p] = d.ID
		if err := os.WriteFile(p, []byte(strings.TrimSpace(d.Title+"\n"+d.Text)+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	src, err := st.AddSource(ctx, c.ID, "directory", dir, 0)
	if err != nil {
		return nil, err
	}
	mgr := indexer.New(indexer.Config{Store: st, Index: vec, Embedders: pool, Logger: log,
		// Every file is a document, whatever its name looks like.
		ScanOptions: indexer.ScanOptions{IncludeHidden: true}})
	op, err := mgr.Enqueue(ctx, c.ID, store.OpIndex, store.OpConfig{SourceID: src.ID}, 0)
	if err != nil {
		return nil, err
	}
	mctx, stop := context.WithCancel(ctx)
	var served sync.WaitGroup
	served.Go(func() { _ = mgr.Serve(mctx) })
	defer func() { stop(); served.Wait() }()
	for {
		o, err := st.GetOperation(ctx, op.ID)
		if err != nil {
			return nil, err
		}
		switch o.Status {
		case store.OpCompleted:
			if failed, _ := o.Progress["files_failed"].(float64); failed > 0 {
				return nil, fmt.Errorf("index corpus: %v documents failed", failed)
			}
			log.Info("corpus indexed", "documents", len(ds.Docs), "chunks", o.Progress["chunks"])
			return paths, nil
		case store.OpFailed, store.OpCancelled:
			return nil, fmt.Errorf("index corpus: %s: %s", o.Status, o.ErrorMessage)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// installModel installs a model from a local folder into this run's
// models folder, as `quarry import-model` would.
func installModel(ctx context.Context, m models.Model, dir, tmp string) error {
	if dir == "" {
		dir = findModelDir(m)
	}
	if dir == "" {
		return fmt.Errorf("no local files for model %s: pass -model-dir", m.Name)
	}
	dirs := []string{dir}
	if m.Kind != models.KindStatic {
		// Tokenizer files may sit apart from the weights.
		if tok := filepath.Join(sharedDir(), "models", m.Name); tok != dir {
			if _, err := os.Stat(tok); err == nil {
				dirs = append([]string{tok}, dirs...)
			}
		}
	}
	if _, err := models.ImportFolders(ctx, m, localVariant(m, dir), dirs, filepath.Join(tmp, "models", m.Name), true, nil); err != nil {
		return fmt.Errorf("import model %s from %s: %w", m.Name, dir, err)
	}
	return nil
}

// localVariant is the variant a folder holds: int8 when it has the
// quantized weights.
func localVariant(m models.Model, dir string) string {
	if m.Kind == models.KindStatic {
		return ""
	}
	for _, p := range []string{"model_quantized.onnx", "onnx/model_quantized.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			return models.VariantInt8
		}
	}
	return ""
}

func sharedDir() string {
	if d := os.Getenv("QUARRY_SHARED_DIR"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
	}
	return filepath.Join(wd, "shared")
}

// findModelDir looks for a model's files where development machines keep
// them.
func findModelDir(m models.Model) string {
	var cands []string
	switch m.Name {
	case "glove-6b-100d":
		cands = []string{filepath.Join(sharedDir(), "models", "glove-6b-100d-top100k"), os.Getenv("QUARRY_WINK_DIR")}
	case "all-MiniLM-L6-v2":
		cands = []string{filepath.Join(sharedDir(), "models", "synthetic-minilm-l6-int8")}
	case "use-lite-en":
		// The npm package, converted on import like a user's.
		cands = []string{uselite.FindPackage()}
	default:
		cands = []string{filepath.Join(sharedDir(), "models", m.Name)}
	}
	for _, d := range cands {
		if d == "" {
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

type reranker struct{ svc *embedder.Service }

func (r reranker) Reranker(context.Context) (*embedder.Service, error) { return r.svc, nil }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
