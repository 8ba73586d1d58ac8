package qdrant

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// Quantization is how a collection stores its vectors.
type Quantization string

// Supported quantizations.
const (
	Float32 Quantization = "float32"
	Float16 Quantization = "float16"
	Int8    Quantization = "int8"
)

// ParseQuantization validates a stored quantization name.
func ParseQuantization(s string) (Quantization, error) {
	switch q := Quantization(s); q {
	case Float32, Float16, Int8:
		return q, nil
	case "":
		return Float32, nil
	}
	return "", fmt.Errorf("parse quantization %q: %w", s, ErrInvalid)
}

// short is the suffix used in physical collection names.
func (q Quantization) short() string {
	switch q {
	case Float16:
		return "f16"
	case Int8:
		return "i8"
	}
	return "f32"
}

// PhysicalName is the Qdrant collection that holds one build of a Quarry
// collection: {collection_uuid}_{model_short}_{quant}. Searches go through
// the alias (the Quarry collection id); a reindex builds a new physical
// collection and switches the alias. The generation, when non-zero, tells
// successive builds with the same model apart.
func PhysicalName(collectionID, modelShort string, q Quantization, generation int) string {
	name := collectionID + "_" + modelShort + "_" + q.short()
	if generation > 0 {
		name += "_g" + strconv.Itoa(generation)
	}
	return name
}

// pointNamespace scopes Quarry's point ids; changing it would re-key every
// stored point.
var pointNamespace = uuid.MustParse("6f1d4c8e-2b7a-5e3f-9c41-0a8b7d6e5f24")

// PointID derives a chunk's point id from its document id and chunk index
// (UUIDv5), so re-sending a chunk overwrites it instead of duplicating it.
func PointID(documentID string, chunkIndex int) string {
	return uuid.NewSHA1(pointNamespace, []byte(documentID+"/"+strconv.Itoa(chunkIndex))).String()
}
