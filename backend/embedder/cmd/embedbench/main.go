// Command embedbench measures the embedder's throughput against a bare
// ONNX Runtime session fed the same pre-tokenized batches in the same
// run, and reports load time and peak memory. It prints medians and
// ratios; absolute numbers vary with machine load, ratios much less.
//
//	go run ./backend/embedder/cmd/embedbench [-device cuda] [-rounds 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "embedbench:", err)
		os.Exit(1)
	}
}

type options struct {
	modelDir, tokDir, device, variant string
	threads, rounds, seqLen           int
	batches                           []int
	spin                              bool
}

func run() error {
	shared := os.Getenv("QUARRY_SHARED_DIR")
	if shared == "" {
		shared = "../shared"
	}
	var o options
	var batches string
	flag.StringVar(&o.modelDir, "model", filepath.Join(shared, "models", "synthetic-minilm-l6-int8"), "model folder")
	flag.StringVar(&o.tokDir, "tokenizer", filepath.Join(shared, "models", "all-MiniLM-L6-v2"), "tokenizer folder (default: the model folder's own when it has one)")
	flag.StringVar(&o.device, "device", embedder.DeviceCPU, "cpu, auto, cuda, coreml or directml")
	flag.StringVar(&o.variant, "variant", "", "fp32 or int8 (default: whatever the folder holds)")
	flag.IntVar(&o.threads, "threads", 0, "intra-op threads (0: sized to the machine)")
	flag.IntVar(&o.rounds, "rounds", 5, "timed rounds per measurement (more when a round has under 8 calls)")
	flag.IntVar(&o.seqLen, "seq", 256, "tokens per chunk")
	flag.StringVar(&batches, "batch", "1,8,32", "batch sizes")
	flag.BoolVar(&o.spin, "spin", false, "let runtime threads spin between calls")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, f := range strings.Split(batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad batch size %q", f)
		}
		o.batches = append(o.batches, n)
	}
	if _, err := os.Stat(filepath.Join(o.modelDir, "tokenizer.json")); err == nil {
		o.tokDir = o.modelDir
	}
	if o.threads <= 0 {
		o.threads = embedder.DefaultThreads()
	}

	ctx := context.Background()
	cfg := embedder.Config{
		Model: models.Model{Name: filepath.Base(o.modelDir), Kind: models.KindTransformer,
			MaxSeqLen: o.seqLen, Pooling: models.PoolingMean, Normalize: true},
		Dir: o.modelDir, TokenizerDir: o.tokDir, Variant: o.variant, Device: o.device,
		Threads: o.threads, Spin: o.spin, BatchSize: slices.Max(o.batches),
		BatchTokens: slices.Max(o.batches) * o.seqLen,
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	t0 := time.Now()
	svc, err := embedder.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	load := time.Since(t0)
	info := svc.Info()
	warm := makeTexts(svc.Tokenizer(), o.seqLen, slices.Max(o.batches))
	if _, err := svc.Embed(ctx, warm, embedder.Document); err != nil {
		return err
	}
	rssAlone := peakRSS()
	spec, err := models.ReadSpec(o.modelDir, cfg.Model, o.variant)
	if err != nil {
		return err
	}
	t0 = time.Now()
	bare, err := newBare(spec.ONNXPath, info.Device, o.threads, o.spin, info.Dims)
	if err != nil {
		return err
	}
	defer bare.sess.Destroy()
	bareLoad := time.Since(t0)

	fmt.Printf("model    %s (%s)\n", spec.ONNXPath, info.Variant)
	fmt.Printf("runtime  %s %s\n", info.RuntimeVersion, info.Library)
	fmt.Printf("device   %s (requested %s) %s\n", info.Device, o.device, info.DeviceNote)
	fmt.Printf("threads  %d intra-op, spin=%v, rounds=%d\n", o.threads, o.spin, o.rounds)
	fmt.Printf("load     embedder %v (incl. runtime init, tokenizer, sha256), bare session %v\n",
		load.Round(time.Millisecond), bareLoad.Round(time.Millisecond))
	fmt.Println()
	fmt.Printf("%-10s %5s %12s %12s %8s %8s\n", "workload", "batch", "quarry/s", "bare/s", "ratio", "paired")

	tok := svc.Tokenizer()
	chunks := makeTexts(tok, o.seqLen, 64)
	sentences := makeSentences(512)
	var worst float64 = 1e9
	for _, w := range []struct {
		name  string
		texts []string
		items int
	}{{"chunk256", chunks, 32}, {"sentence", sentences, 256}} {
		for _, b := range o.batches {
			items := max(w.items, b)
			q, bb, paired, err := measure(ctx, svc, bare, tok, w.texts[:items], b, o)
			if err != nil {
				return err
			}
			ratio := q / bb
			worst = min(worst, paired)
			fmt.Printf("%-10s %5d %12.1f %12.1f %8.3f %8.3f\n", w.name, b, q, bb, ratio, paired)
		}
	}
	fmt.Println()
	fmt.Printf("min paired ratio %.3f (bar >= 0.95)\n", worst)
	fmt.Printf("peak RSS %.0f MiB embedder alone after a batch of %d chunks; %.0f MiB with the bare session too\n",
		float64(rssAlone)/(1<<20), slices.Max(o.batches), float64(peakRSS())/(1<<20))
	return nil
}

// makeTexts builds n distinct texts of at least seq tokens each.
func makeTexts(tok tokenizer.Tokenizer, seq, n int) []string {
	words := strings.Fields(`local semantic search indexes documents on the user's own machine
		without sending anything to a server; every paragraph becomes a vector and similar meaning
		lands close together, so a question finds the passage that answers it even when the words
		differ. Résumés, invoices, e-mail threads and notes: 42 files, 3.5 MB, indexed at 10:30.`)
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		for k := 0; tok.Count(sb.String()) < seq; k++ {
			sb.WriteString(words[(i*7+k)%len(words)])
			sb.WriteByte(' ')
		}
		out[i] = sb.String()
	}
	return out
}

func makeSentences(n int) []string {
	base := []string{
		"Where did I save the tax receipts?",
		"notes from the quarterly planning meeting",
		"How do I reset the router password",
		"Photos of the garden in spring",
		"invoice 2023-117 from the plumber",
		"What is the deadline for the grant report?",
		"recipe for lemon cake with yoghurt",
		"contract renewal terms and notice period",
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", base[i%len(base)], i)
	}
	return out
}

// measure times the embedder and the bare session on the same texts in
// calls of batch texts, alternating which goes first in each round.
func measure(ctx context.Context, svc *embedder.Service, bare *bareSession, tok tokenizer.Tokenizer,
	texts []string, batch int, o options) (quarry, bareRate, paired float64, err error) {
	var calls [][]string
	for i := 0; i < len(texts); i += batch {
		calls = append(calls, texts[i:min(i+batch, len(texts))])
	}
	feeds := make([]*feed, len(calls))
	for i, c := range calls {
		if feeds[i], err = bare.prepare(tok, c, o.seqLen); err != nil {
			return 0, 0, 0, err
		}
	}
	defer func() {
		for _, f := range feeds {
			f.destroy()
		}
	}()
	// Calls alternate between the two paths, so both see the same
	// background load. Throughput comes from each round's totals; the
	// paired ratio is the median over calls of bare time / embedder time
	// for the same input, which shrugs off bursts of load.
	var pairs []float64
	round := func(r int) (dq, db time.Duration, err error) {
		for i, c := range calls {
			var tq, tb time.Duration
			for k := range 2 {
				t0 := time.Now()
				if (i+r+k)%2 == 0 {
					_, err = svc.Embed(ctx, c, embedder.Document)
					tq = time.Since(t0)
				} else {
					err = bare.sess.Run(feeds[i].inputs, feeds[i].outputs)
					tb = time.Since(t0)
				}
				if err != nil {
					return 0, 0, err
				}
			}
			dq += tq
			db += tb
			pairs = append(pairs, tb.Seconds()/tq.Seconds())
		}
		return dq, db, nil
	}
	if _, _, err := round(0); err != nil { // warm-up
		return 0, 0, 0, err
	}
	pairs = pairs[:0]
	var qs, bs []float64
	n := float64(len(texts))
	// At least eight paired calls, however few calls a round has.
	rounds := max(o.rounds, (8+len(calls)-1)/len(calls))
	for r := range rounds {
		dq, db, err := round(r)
		if err != nil {
			return 0, 0, 0, err
		}
		qs = append(qs, n/dq.Seconds())
		bs = append(bs, n/db.Seconds())
	}
	return median(qs), median(bs), median(pairs), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// bareSession is ONNX Runtime with nothing of Quarry's around it: same
// options, inputs built before timing, output buffer preallocated.
type bareSession struct {
	sess   *ort.DynamicAdvancedSession
	inputs []string
	hidden int
}

func newBare(path, device string, threads int, spin bool, hidden int) (*bareSession, error) {
	ins, _, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.Name)
	}
	opts, err := embedder.SessionOptions(device, threads, spin)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSession(path, names, []string{"last_hidden_state"}, opts)
	if err != nil {
		return nil, fmt.Errorf("bare session: %w", err)
	}
	return &bareSession{sess: s, inputs: names, hidden: hidden}, nil
}

type feed struct {
	inputs, outputs []ort.Value
}

func (f *feed) destroy() {
	for _, v := range append(f.inputs, f.outputs...) {
		v.Destroy()
	}
}

// prepare tokenizes and pads one call the way the embedder does: longest
// text first, padded to the longest.
func (b *bareSession) prepare(tok tokenizer.Tokenizer, texts []string, seq int) (*feed, error) {
	encs := make([]tokenizer.Encoding, len(texts))
	t := 0
	for i, s := range texts {
		encs[i] = tok.Encode(s, seq)
		t = max(t, len(encs[i].IDs))
	}
	n := len(texts)
	ids, mask, types := make([]int64, n*t), make([]int64, n*t), make([]int64, n*t)
	for r, e := range encs {
		copy(ids[r*t:], e.IDs)
		for c := range len(e.IDs) {
			mask[r*t+c] = 1
		}
	}
	shape := ort.NewShape(int64(n), int64(t))
	data := map[string][]int64{"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
	f := &feed{}
	for _, name := range b.inputs {
		v, err := ort.NewTensor(shape, data[name])
		if err != nil {
			return nil, err
		}
		f.inputs = append(f.inputs, v)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(t), int64(b.hidden)))
	if err != nil {
		return nil, err
	}
	f.outputs = []ort.Value{out}
	return f, nil
}
