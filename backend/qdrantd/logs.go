package qdrantd

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
)

// openRotatedLog opens path for appending, first moving it to path.1 when
// it is over max bytes.
func openRotatedLog(path string, max int64) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && st.Size() > max {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, fmt.Errorf("rotate qdrant log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open qdrant log: %w", err)
	}
	return f, nil
}

// tailBuffer keeps the last n lines written to it, for the UI's error view.
type tailBuffer struct {
	mu      sync.Mutex
	n       int
	lines   []string
	partial bytes.Buffer
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial.Write(p)
	for {
		line, err := t.partial.ReadString('\n')
		if err != nil {
			t.partial.Reset()
			t.partial.WriteString(line)
			break
		}
		t.lines = append(t.lines, strings.TrimRight(line, "\r\n"))
		if len(t.lines) > t.n {
			t.lines = t.lines[len(t.lines)-t.n:]
		}
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
