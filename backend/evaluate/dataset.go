package evaluate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dataset is a BEIR-format retrieval benchmark.
type Dataset struct {
	Docs    []Doc
	Queries map[string]string
	// Qrels maps a query id to its judged documents and their grades.
	Qrels map[string]map[string]int
}

// Doc is one corpus entry.
type Doc struct {
	ID    string
	Title string
	Text  string
}

// LoadDataset reads corpus.jsonl, queries.jsonl and qrels/<split>.tsv.
func LoadDataset(dir, split string) (*Dataset, error) {
	ds := &Dataset{Queries: map[string]string{}, Qrels: map[string]map[string]int{}}
	err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(line []byte) error {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(line, &d); err != nil {
			return err
		}
		ds.Docs = append(ds.Docs, Doc{ID: d.ID, Title: d.Title, Text: d.Text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readJSONL(filepath.Join(dir, "queries.jsonl"), func(line []byte) error {
		var q struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(line, &q); err != nil {
			return err
		}
		ds.Queries[q.ID] = q.Text
		return nil
	})
	if err != nil {
		return nil, err
	}
	qrels := filepath.Join(dir, "qrels", split+".tsv")
	f, err := os.Open(qrels)
	if err != nil {
		return nil, fmt.Errorf("read qrels: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(fields) != 3 || (n == 1 && fields[0] == "query-id") {
			continue
		}
		grade, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", qrels, n, err)
		}
		if ds.Qrels[fields[0]] == nil {
			ds.Qrels[fields[0]] = map[string]int{}
		}
		ds.Qrels[fields[0]][fields[1]] = grade
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", qrels, err)
	}
	return ds, nil
}

func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s line %d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
