package embedder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// onnxEngine runs a transformer encoder and pools its token outputs.
type onnxEngine struct {
	sess     *ort.DynamicAdvancedSession
	tok      tokenizer.Tokenizer
	spec     models.Spec
	inputs   []string // model input names, in call order
	output   string
	pooled   bool // the output is already one vector per text
	hidden   int  // output width when known from the model
	maxLen   int
	batch    int
	tokens   int
	int64Buf sync.Pool
	f32Buf   sync.Pool
	// runOpts keeps run options between calls (each call needs its own,
	// to be terminated alone when its context ends).
	runOpts chan *ort.RunOptions
}

// Well-known input and output names of exported BERT-style encoders.
const (
	inputIDs      = "input_ids"
	attentionMask = "attention_mask"
	tokenTypeIDs  = "token_type_ids"
)

func (s *Service) openONNX(ctx context.Context, cfg Config) error {
	spec, err := models.ReadSpec(cfg.Dir, cfg.Model, cfg.Variant)
	if err != nil {
		return err
	}
	tokDir := cfg.TokenizerDir
	if tokDir == "" {
		tokDir = cfg.Dir
	}
	tok, err := tokenizer.Load(tokDir)
	if err != nil {
		return err
	}
	if cfg.Model.Kind == models.KindReranker {
		pe, ok := tok.(tokenizer.PairEncoder)
		if !ok {
			return fmt.Errorf("the tokenizer in %s cannot encode a query and passage together", tokDir)
		}
		s.pair = pe
	}
	libPath, version, err := initRuntime(cfg.LibraryPath, s.log)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e := &onnxEngine{tok: tok, spec: spec, maxLen: spec.MaxSeqLen, batch: cfg.BatchSize, tokens: cfg.BatchTokens,
		runOpts: make(chan *ort.RunOptions, max(cfg.Concurrency, 1))}
	if err := e.inspect(); err != nil {
		return err
	}
	sess, device, note, err := newSession(spec.ONNXPath, e.inputs, []string{e.output}, cfg, s.log)
	if err != nil {
		return err
	}
	e.sess = sess
	spec = e.spec

	sha, err := models.KnownSHA256(spec.Dir, spec.ONNXPath)
	if err != nil {
		_ = sess.Destroy()
		return err
	}
	s.eng, s.tok = e, tok
	s.qpre, s.dpre = spec.QueryPrefix, spec.DocumentPrefix
	s.info = Info{
		Model: cfg.Model.Name, Kind: cmp.Or(cfg.Model.Kind, models.KindTransformer), Variant: spec.Variant,
		Dims: spec.Dims, MaxSeqLen: spec.MaxSeqLen, Pooling: spec.Pooling, Normalize: spec.Normalize,
		Device: device, DeviceNote: note, Threads: cfg.Threads,
		Fingerprint: spec.Fingerprint(sha).String(), Library: libPath, RuntimeVersion: version,
	}
	return nil
}

// inspect reads the model's inputs and outputs and picks the output to
// pool.
func (e *onnxEngine) inspect() error {
	ins, outs, err := ort.GetInputOutputInfo(e.spec.ONNXPath)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", e.spec.ONNXPath, err)
	}
	for _, in := range ins {
		switch in.Name {
		case inputIDs, attentionMask, tokenTypeIDs:
			e.inputs = append(e.inputs, in.Name)
		default:
			return fmt.Errorf("inspect %s: unexpected model input %q", e.spec.ONNXPath, in.Name)
		}
	}
	if !slices.Contains(e.inputs, inputIDs) {
		return fmt.Errorf("inspect %s: model has no %s input", e.spec.ONNXPath, inputIDs)
	}
	pick := -1
	for _, want := range []string{"last_hidden_state", "token_embeddings", "sentence_embedding"} {
		for i, o := range outs {
			if o.Name == want && pick < 0 {
				pick = i
			}
		}
	}
	if pick < 0 {
		pick = 0
	}
	o := outs[pick]
	e.output = o.Name
	switch len(o.Dimensions) {
	case 3:
	case 2:
		e.pooled = true
	default:
		return fmt.Errorf("inspect %s: output %q has shape %v, want [batch, tokens, dims]", e.spec.ONNXPath, o.Name, o.Dimensions)
	}
	if d := o.Dimensions[len(o.Dimensions)-1]; d > 0 {
		e.hidden = int(d)
		if e.spec.Dims != 0 && e.spec.Dims != e.hidden {
			return fmt.Errorf("inspect %s: output width %d, model says %d dimensions", e.spec.ONNXPath, e.hidden, e.spec.Dims)
		}
		e.spec.Dims = e.hidden
	}
	return nil
}

// deviceOrder lists the providers to try for a requested device.
func deviceOrder(req string) []string {
	switch strings.ToLower(req) {
	case DeviceCPU:
		return []string{DeviceCPU}
	case DeviceCUDA, DeviceCoreML, DeviceDirectML:
		return []string{strings.ToLower(req), DeviceCPU}
	}
	switch runtime.GOOS {
	case "darwin":
		return []string{DeviceCoreML, DeviceCPU}
	case "windows":
		return []string{DeviceCUDA, DeviceDirectML, DeviceCPU}
	default:
		return []string{DeviceCUDA, DeviceCPU}
	}
}

// SessionOptions builds the runtime options Quarry uses for a device, so
// benchmarks can build an identical bare session.
func SessionOptions(device string, threads int, spin bool) (*ort.SessionOptions, error) {
	o, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	fail := func(err error) (*ort.SessionOptions, error) {
		_ = o.Destroy()
		return nil, err
	}
	if err := o.SetIntraOpNumThreads(threads); err != nil {
		return fail(fmt.Errorf("set threads: %w", err))
	}
	if err := o.SetInterOpNumThreads(1); err != nil {
		return fail(fmt.Errorf("set inter-op threads: %w", err))
	}
	if !spin {
		if err := o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return fail(fmt.Errorf("disable spinning: %w", err))
		}
	}
	switch device {
	case DeviceCPU:
	case DeviceCUDA:
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return fail(fmt.Errorf("cuda options: %w", err))
		}
		defer co.Destroy()
		if err := o.AppendExecutionProviderCUDA(co); err != nil {
			return fail(fmt.Errorf("cuda provider: %w", err))
		}
	case DeviceCoreML:
		if err := o.AppendExecutionProviderCoreMLV2(map[string]string{"MLComputeUnits": "ALL"}); err != nil {
			return fail(fmt.Errorf("coreml provider: %w", err))
		}
	case DeviceDirectML:
		if err := o.AppendExecutionProviderDirectML(0); err != nil {
			return fail(fmt.Errorf("directml provider: %w", err))
		}
	default:
		return fail(fmt.Errorf("unknown device %q", device))
	}
	return o, nil
}

// newSession creates a session on the first device that works, falling
// back to the CPU. note explains any device that was skipped.
func newSession(path string, inputs, outputs []string, cfg Config, log *slog.Logger) (sess *ort.DynamicAdvancedSession, device, note string, err error) {
	var skipped []string
	for _, dev := range deviceOrder(cfg.Device) {
		opts, err := SessionOptions(dev, cfg.Threads, cfg.Spin)
		if err == nil {
			sess, err = ort.NewDynamicAdvancedSession(path, inputs, outputs, opts)
			_ = opts.Destroy()
		}
		if err == nil {
			note = strings.Join(skipped, "; ")
			if note != "" {
				log.Info("execution provider fallback", "device", dev, "reason", note)
			}
			return sess, dev, note, nil
		}
		if dev == DeviceCPU {
			return nil, "", "", fmt.Errorf("create session for %s: %w", path, err)
		}
		skipped = append(skipped, fmt.Sprintf("%s unavailable: %s", dev, firstLine(err.Error())))
	}
	return nil, "", "", errors.New("no execution provider")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (e *onnxEngine) close() error {
	// Close runs after every call has finished: nothing takes from
	// runOpts any more.
	for len(e.runOpts) > 0 {
		_ = (<-e.runOpts).Destroy()
	}
	if err := e.sess.Destroy(); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	return nil
}

// plan groups texts of similar token length so little padding is run.
// Each batch holds indices into encs, longest first.
func (e *onnxEngine) plan(encs []tokenizer.Encoding) [][]int {
	order := make([]int, len(encs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(encs[b].IDs) - len(encs[a].IDs) })
	var batches [][]int
	for len(order) > 0 {
		longest := len(encs[order[0]].IDs)
		n := min(len(order), e.batch, max(e.tokens/max(longest, 1), 1))
		batches = append(batches, order[:n])
		order = order[n:]
	}
	return batches
}

func (e *onnxEngine) embed(ctx context.Context, texts []string, g *gate, prio bool) ([][]float32, error) {
	encs := make([]tokenizer.Encoding, len(texts))
	for i, t := range texts {
		encs[i] = e.tok.Encode(t, e.maxLen)
	}
	return e.runAll(ctx, encs, g, prio)
}

// runAll runs the model over encs in length-sorted batches and returns one
// output row per encoding, in order.
func (e *onnxEngine) runAll(ctx context.Context, encs []tokenizer.Encoding, g *gate, prio bool) ([][]float32, error) {
	out := make([][]float32, len(encs))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for _, b := range e.plan(encs) {
		if err := g.acquire(ctx, prio); err != nil {
			fail(err)
			break
		}
		work := func() {
			defer g.release()
			if err := e.run(ctx, encs, b, out); err != nil {
				fail(err)
			}
		}
		// With one slot, run on the caller's goroutine: nothing could
		// overlap anyway, and the runtime keeps its per-thread state warm.
		if g.limit() == 1 {
			work()
		} else {
			wg.Go(work)
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (e *onnxEngine) getInt64(n int) []int64 {
	if b, ok := e.int64Buf.Get().(*[]int64); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]int64, n)
}

func (e *onnxEngine) getF32(n int) []float32 {
	if b, ok := e.f32Buf.Get().(*[]float32); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]float32, n)
}

// run embeds one batch and writes its vectors into out.
func (e *onnxEngine) run(ctx context.Context, encs []tokenizer.Encoding, batch []int, out [][]float32) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := len(batch)
	t := len(encs[batch[0]].IDs)
	n := b * t
	ids, mask, types := e.getInt64(n), e.getInt64(n), e.getInt64(n)
	defer func() {
		for _, s := range [][]int64{ids, mask, types} {
			e.int64Buf.Put(&s)
		}
	}()
	pad := e.tok.PadID()
	for r, i := range batch {
		row := encs[i].IDs
		copy(ids[r*t:], row)
		for c := len(row); c < t; c++ {
			ids[r*t+c] = pad
		}
		tid := encs[i].TypeIDs
		for c := range t {
			mask[r*t+c] = int64(boolInt(c < len(row)))
			types[r*t+c] = 0
			if c < len(tid) {
				types[r*t+c] = tid[c]
			}
		}
	}
	shape := ort.NewShape(int64(b), int64(t))
	ins := make([]ort.Value, len(e.inputs))
	defer func() {
		for _, v := range ins {
			if v != nil {
				_ = v.Destroy()
			}
		}
	}()
	for k, name := range e.inputs {
		data := map[string][]int64{inputIDs: ids, attentionMask: mask, tokenTypeIDs: types}[name]
		if ins[k], err = ort.NewTensor(shape, data); err != nil {
			return fmt.Errorf("input tensor: %w", err)
		}
	}
	outs := []ort.Value{nil}
	var hid []float32
	if e.hidden > 0 {
		oshape := ort.NewShape(int64(b), int64(t), int64(e.hidden))
		if e.pooled {
			oshape = ort.NewShape(int64(b), int64(e.hidden))
		}
		hid = e.getF32(int(oshape.FlattenedSize()))
		defer e.f32Buf.Put(&hid)
		if outs[0], err = ort.NewTensor(oshape, hid); err != nil {
			return fmt.Errorf("output tensor: %w", err)
		}
	}
	defer func() {
		if outs[0] != nil {
			_ = outs[0].Destroy()
		}
	}()

	ro, err := e.runOptions()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		_ = ro.Terminate()
	})
	err = e.sess.RunWithOptions(ins, outs, ro)
	terminated := !stop()
	if terminated {
		<-done
	}
	e.keepRunOptions(ro, terminated)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("run model: %w", err)
	}
	if hid == nil {
		tt, ok := outs[0].(*ort.Tensor[float32])
		if !ok {
			return fmt.Errorf("model output %q is not float32", e.output)
		}
		hid = tt.GetData()
		sh := tt.GetShape()
		e.hidden = int(sh[len(sh)-1])
	}
	h := e.hidden
	for r, i := range batch {
		var v []float32
		if e.pooled {
			v = slices.Clone(hid[r*h : (r+1)*h])
		} else {
			v = pool(e.spec.Pooling, hid[r*t*h:(r+1)*t*h], len(encs[i].IDs), h)
		}
		if e.spec.Normalize {
			normalize(v)
		}
		out[i] = v
	}
	return nil
}

// runOptions returns run options kept from an earlier call, or new ones.
func (e *onnxEngine) runOptions() (*ort.RunOptions, error) {
	select {
	case ro := <-e.runOpts:
		return ro, nil
	default:
	}
	ro, err := ort.NewRunOptions()
	if err != nil {
		return nil, fmt.Errorf("run options: %w", err)
	}
	return ro, nil
}

// keepRunOptions keeps ro for a later call, cleared if it was terminated.
func (e *onnxEngine) keepRunOptions(ro *ort.RunOptions, terminated bool) {
	if terminated && ro.UnsetTerminate() != nil {
		_ = ro.Destroy()
		return
	}
	select {
	case e.runOpts <- ro:
	default:
		_ = ro.Destroy()
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pool reduces the first n token rows of width h to one vector.
func pool(p models.Pooling, rows []float32, n, h int) []float32 {
	out := make([]float32, h)
	switch p {
	case models.PoolingCLS:
		copy(out, rows[:h])
	case models.PoolingMax:
		copy(out, rows[:h])
		for t := 1; t < n; t++ {
			for j, x := range rows[t*h : (t+1)*h] {
				out[j] = max(out[j], x)
			}
		}
	default:
		acc := make([]float64, h)
		for t := range n {
			for j, x := range rows[t*h : (t+1)*h] {
				acc[j] += float64(x)
			}
		}
		for j := range out {
			out[j] = float32(acc[j] / float64(max(n, 1)))
		}
	}
	return out
}

// normalize scales v to unit length in place; a zero vector stays zero.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}
