package qdrant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
)

// VectorName is the name of the dense vector in every Quarry collection;
// naming it leaves room for a sparse vector beside it later.
const VectorName = "dense"

// Payload field names, indexed in every collection.
const (
	FieldDocumentID = "document_id"
	FieldSourceID   = "source_id"
	FieldChunkIndex = "chunk_index"
	FieldPath       = "path"
	FieldMimeType   = "mime_type"
	FieldModified   = "modified" // unix seconds
)

var payloadIndexes = []struct {
	field string
	typ   pb.FieldType
}{
	{FieldDocumentID, pb.FieldType_FieldTypeKeyword},
	{FieldSourceID, pb.FieldType_FieldTypeKeyword},
	{FieldPath, pb.FieldType_FieldTypeKeyword},
	{FieldMimeType, pb.FieldType_FieldTypeKeyword},
	{FieldModified, pb.FieldType_FieldTypeInteger},
}

// Spec describes the vectors of a physical collection.
type Spec struct {
	Dims         int
	Quantization Quantization
}

// vectorParams maps a quantization onto Qdrant storage. int8 keeps float32
// originals on disk with an int8 scalar-quantized copy in RAM (Qdrant
// rescoring uses the originals): Qdrant's uint8 datatype expects values in
// 0..255 and would clip the negative components of normalized embeddings.
func (s Spec) vectorParams() (*pb.VectorParams, *pb.QuantizationConfig) {
	p := &pb.VectorParams{Size: uint64(s.Dims), Distance: pb.Distance_Cosine}
	switch s.Quantization {
	case Float16:
		p.Datatype = pb.Datatype_Float16.Enum()
	case Int8:
		p.Datatype = pb.Datatype_Float32.Enum()
		p.OnDisk = pb.PtrOf(true)
		return p, pb.NewQuantizationScalar(&pb.ScalarQuantization{
			Type:      pb.QuantizationType_Int8,
			Quantile:  pb.PtrOf(float32(0.99)),
			AlwaysRam: pb.PtrOf(true),
		})
	default:
		p.Datatype = pb.Datatype_Float32.Enum()
	}
	return p, nil
}

// CreateCollection creates a physical collection with its payload indexes.
// It fails with ErrAlreadyExists if the name is taken.
func (c *Client) CreateCollection(ctx context.Context, name string, spec Spec) error {
	if spec.Dims <= 0 {
		return fmt.Errorf("create collection %s: dims %d: %w", name, spec.Dims, ErrInvalid)
	}
	params, quant := spec.vectorParams()
	req := &pb.CreateCollection{
		CollectionName:     name,
		VectorsConfig:      pb.NewVectorsConfigMap(map[string]*pb.VectorParams{VectorName: params}),
		QuantizationConfig: quant,
		OnDiskPayload:      pb.PtrOf(true),
	}
	err := c.do(ctx, "create collection "+name, func(ctx context.Context) error {
		return c.raw.CreateCollection(ctx, req)
	})
	if err != nil {
		return err
	}
	return c.ensureIndexes(ctx, name)
}

// EnsureCollection creates the collection if it is missing and checks its
// vector size if it exists (ErrBadDimension on mismatch).
func (c *Client) EnsureCollection(ctx context.Context, name string, spec Spec) error {
	info, err := c.Info(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		err = c.CreateCollection(ctx, name, spec)
		if errors.Is(err, ErrAlreadyExists) {
			return c.EnsureCollection(ctx, name, spec)
		}
		return err
	case err != nil:
		return err
	case info.Dims != spec.Dims:
		return fmt.Errorf("ensure collection %s: has %d dims, want %d: %w", name, info.Dims, spec.Dims, ErrBadDimension)
	}
	return c.ensureIndexes(ctx, name)
}

func (c *Client) ensureIndexes(ctx context.Context, name string) error {
	for _, ix := range payloadIndexes {
		req := &pb.CreateFieldIndexCollection{
			CollectionName: name,
			FieldName:      ix.field,
			FieldType:      ix.typ.Enum(),
			Wait:           pb.PtrOf(true),
		}
		err := c.do(ctx, "create payload index "+ix.field+" on "+name, func(ctx context.Context) error {
			_, err := c.raw.CreateFieldIndex(ctx, req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteCollection removes a physical collection; a missing one is not an
// error.
func (c *Client) DeleteCollection(ctx context.Context, name string) error {
	err := c.do(ctx, "delete collection "+name, func(ctx context.Context) error {
		return c.raw.DeleteCollection(ctx, name)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// ListCollections returns the physical collection names, sorted.
func (c *Client) ListCollections(ctx context.Context) ([]string, error) {
	var names []string
	err := c.do(ctx, "list collections", func(ctx context.Context) error {
		var err error
		names, err = c.raw.ListCollections(ctx)
		return err
	})
	slices.Sort(names)
	return names, err
}

// CollectionInfo is what Quarry shows about a physical collection.
type CollectionInfo struct {
	Points       uint64
	Dims         int
	Quantization Quantization
	Status       string // green, yellow, grey or red
	Indexed      []string
}

// Info describes a collection, by physical name or alias.
func (c *Client) Info(ctx context.Context, name string) (CollectionInfo, error) {
	var raw *pb.CollectionInfo
	err := c.do(ctx, "collection info "+name, func(ctx context.Context) error {
		var err error
		raw, err = c.raw.GetCollectionInfo(ctx, name)
		return err
	})
	if err != nil {
		return CollectionInfo{}, err
	}
	info := CollectionInfo{
		Points: raw.GetPointsCount(),
		Status: map[pb.CollectionStatus]string{
			pb.CollectionStatus_Green:  "green",
			pb.CollectionStatus_Yellow: "yellow",
			pb.CollectionStatus_Red:    "red",
			pb.CollectionStatus_Grey:   "grey",
		}[raw.GetStatus()],
	}
	vp := raw.GetConfig().GetParams().GetVectorsConfig().GetParamsMap().GetMap()[VectorName]
	if vp == nil {
		vp = raw.GetConfig().GetParams().GetVectorsConfig().GetParams()
	}
	info.Dims = int(vp.GetSize())
	switch {
	case raw.GetConfig().GetQuantizationConfig().GetScalar() != nil || vp.GetQuantizationConfig().GetScalar() != nil:
		info.Quantization = Int8
	case vp.GetDatatype() == pb.Datatype_Float16:
		info.Quantization = Float16
	default:
		info.Quantization = Float32
	}
	for field := range raw.GetPayloadSchema() {
		info.Indexed = append(info.Indexed, field)
	}
	slices.Sort(info.Indexed)
	return info, nil
}

// ResolveAlias returns the physical collection an alias points to, or
// ErrNotFound.
func (c *Client) ResolveAlias(ctx context.Context, alias string) (string, error) {
	var all []*pb.AliasDescription
	err := c.do(ctx, "list aliases", func(ctx context.Context) error {
		var err error
		all, err = c.raw.ListAliases(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, a := range all {
		if a.GetAliasName() == alias {
			return a.GetCollectionName(), nil
		}
	}
	return "", fmt.Errorf("resolve alias %s: %w", alias, ErrNotFound)
}

// SwitchAlias points alias at collection, creating it if needed. The change
// is one atomic request, so a search through the alias sees either the old
// or the new collection, never neither.
func (c *Client) SwitchAlias(ctx context.Context, alias, collection string) error {
	current, err := c.ResolveAlias(ctx, alias)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("switch alias %s: %w", alias, err)
	}
	if current == collection {
		return nil
	}
	var actions []*pb.AliasOperations
	if current != "" {
		actions = append(actions, pb.NewAliasDelete(alias))
	}
	actions = append(actions, pb.NewAliasCreate(alias, collection))
	return c.do(ctx, "switch alias "+alias+" to "+collection, func(ctx context.Context) error {
		return c.raw.UpdateAliases(ctx, actions)
	})
}

// DeleteAlias removes an alias; ErrNotFound if there is none.
func (c *Client) DeleteAlias(ctx context.Context, alias string) error {
	return c.do(ctx, "delete alias "+alias, func(ctx context.Context) error {
		return c.raw.DeleteAlias(ctx, alias)
	})
}

// Snapshot describes a snapshot Qdrant wrote on its own disk. Downloading
// or restoring it is a REST-only operation in Qdrant, outside this layer.
type Snapshot struct {
	Name    string
	Size    int64
	Created time.Time
}

// CreateSnapshot asks Qdrant to snapshot a collection.
func (c *Client) CreateSnapshot(ctx context.Context, name string) (Snapshot, error) {
	var d *pb.SnapshotDescription
	err := c.do(ctx, "create snapshot of "+name, func(ctx context.Context) error {
		var err error
		d, err = c.raw.CreateSnapshot(ctx, name)
		return err
	})
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Name: d.GetName(), Size: d.GetSize(), Created: d.GetCreationTime().AsTime()}, nil
}
