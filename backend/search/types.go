package search

import "time"

// Mode picks how candidates are found and scored.
type Mode string

// Search modes.
const (
	// Hybrid fuses keyword and semantic scores; the default.
	Hybrid Mode = "hybrid"
	// Semantic ranks by vector similarity to the query's embedding.
	Semantic Mode = "semantic"
	// Keyword ranks by BM25 over the chunk text.
	Keyword Mode = "keyword"
)

// Limits on a request.
const (
	DefaultLimit       = 10
	MaxLimit           = 1000
	MaxQueryLength     = 1000
	DefaultPassages    = 3
	MaxPassagesPerHit  = 20
	maxCandidateChunks = 4000
	// DefaultRerankDepth and MaxRerankDepth bound how many documents the
	// reranker re-scores.
	DefaultRerankDepth = 10
	MaxRerankDepth     = 100
)

// Request is one search, shared by the desktop binding and the HTTP API.
type Request struct {
	Query string `json:"query"`
	// CollectionIDs to search; empty means every collection. Collections
	// embedded with different models are fused by rank.
	CollectionIDs []string `json:"collection_ids,omitempty"`
	// Mode is "hybrid" (default), "semantic" or "keyword".
	Mode    Mode    `json:"mode,omitempty"`
	Filters Filters `json:"filters"`
	// Limit and Offset page through documents (not passages).
	Limit  int `json:"limit,omitempty"`
	Offset int `json:"offset,omitempty"`
	// Passages is how many passages to show per document (default 3).
	Passages int `json:"passages,omitempty"`
	// MinScore drops passages scoring below it (0–1); with Rerank, the
	// reranker's score counts.
	MinScore float64 `json:"min_score,omitempty"`
	// Rerank re-scores the shown passages of the best documents with the
	// local cross-encoder, which reads query and passage together: slower
	// and more precise. Those documents are then ordered by its scores,
	// and the rest follow in their first order.
	Rerank bool `json:"rerank,omitempty"`
	// RerankDepth is how many of the best documents are re-scored
	// (default 10, at most 100).
	RerankDepth int `json:"rerank_depth,omitempty"`
	// Supersedes names a stream of requests (a search box): a new request
	// with the same value cancels the one still running.
	Supersedes string `json:"supersedes,omitempty"`
}

// Filters restrict results; fields combine with AND, values within a
// field with OR. The zero value matches everything.
type Filters struct {
	SourceIDs []int64 `json:"source_ids,omitempty"`
	// Folders match documents with a path inside any of them.
	Folders []string `json:"folders,omitempty"`
	// FileTypes are extensions ("pdf", ".docx") or MIME types
	// ("application/pdf", or a prefix ending in "/" such as "text/").
	FileTypes []string `json:"file_types,omitempty"`
	// ModifiedFrom (inclusive) and ModifiedBefore (exclusive) bound the
	// file's modification time.
	ModifiedFrom   *time.Time `json:"modified_from,omitempty"`
	ModifiedBefore *time.Time `json:"modified_before,omitempty"`
	// Statuses are document statuses ("completed", ...); empty means any.
	Statuses []string `json:"statuses,omitempty"`
}

// Response is a page of results, grouped by document, best first.
type Response struct {
	Query   string   `json:"query"`
	Mode    Mode     `json:"mode"`
	Results []Result `json:"results"`
	// HasMore says a further page has results.
	HasMore bool `json:"has_more"`
	// Warnings say what was left out and why (a collection whose model is
	// not installed was searched by keyword only, say).
	Warnings []string `json:"warnings,omitempty"`
	// Coverage says, for each collection searched semantically, how much
	// of it semantic search could see: documents still waiting for their
	// model, or vectors still loading at start-up, are found by keyword
	// alone meanwhile.
	Coverage []Coverage `json:"coverage,omitempty"`
	// Reranker names the cross-encoder that re-scored the results, when
	// Rerank was asked for; Reranked counts the documents it re-scored.
	Reranker string  `json:"reranker,omitempty"`
	Reranked int     `json:"reranked,omitempty"`
	TookMS   float64 `json:"took_ms"`
}

// Coverage is how much of one collection semantic search covered.
type Coverage struct {
	CollectionID string `json:"collection_id"`
	Name         string `json:"name"`
	// Semantic is false when the collection was searched by keyword only.
	Semantic bool `json:"semantic"`
	// Documents counts the collection's searchable documents, Embedded
	// those with vectors.
	Documents int `json:"documents"`
	Embedded  int `json:"embedded"`
	// VectorsLoaded is how much of the vector index start-up has loaded
	// (0–100).
	VectorsLoaded float64 `json:"vectors_loaded"`
}

// Result is one document with its best passages.
type Result struct {
	CollectionID string    `json:"collection_id"`
	DocumentID   string    `json:"document_id"`
	Path         string    `json:"path"`
	FileName     string    `json:"file_name"`
	MimeType     string    `json:"mime_type"`
	Modified     time.Time `json:"modified"`
	// Score is the best passage's score, on a 0–1 scale (see Passage).
	Score    float64   `json:"score"`
	Passages []Passage `json:"passages"`
	// MoreMatches counts further matching passages not shown.
	MoreMatches int `json:"more_matches"`
}

// Passage is one matching chunk.
type Passage struct {
	ChunkIndex int `json:"chunk_index"`
	// Score is 0–1: the reranker's probability that the passage answers
	// the query when it was re-scored; otherwise, in hybrid mode, the
	// tuned blend of the two below, and in the other modes the one that
	// applies.
	Score float64 `json:"score"`
	// RerankScore is the reranker's probability, when it re-scored this
	// passage.
	RerankScore *float64 `json:"rerank_score,omitempty"`
	// KeywordScore is BM25 divided by the most this query could score
	// (every term present at saturating frequency).
	KeywordScore float64 `json:"keyword_score"`
	// SemanticScore is cosine similarity rescaled so that 0 is what
	// unrelated texts score with this model and 1 is identity.
	SemanticScore float64 `json:"semantic_score"`
	// Page and PageEnd are 1-based; 0 when the format has no pages.
	Page    int     `json:"page,omitempty"`
	PageEnd int     `json:"page_end,omitempty"`
	Heading string  `json:"heading,omitempty"`
	Snippet Snippet `json:"snippet"`
}

// Snippet is an excerpt with the query's terms marked.
type Snippet struct {
	Text string `json:"text"`
	// Highlights are ranges of Text in UTF-16 code units (JavaScript
	// string indices), sorted and disjoint.
	Highlights []Span `json:"highlights"`
}

// Span is a half-open range [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}
