package standin

import (
	"context"
	"maps"
	"slices"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
)

// collectionsService serves qdrant.Collections; calls outside the subset
// fall through to the generated Unimplemented answers.
type collectionsService struct {
	pb.UnimplementedCollectionsServer
	s *Server
}

var _ pb.CollectionsServer = collectionsService{}

func (cs collectionsService) Create(_ context.Context, req *pb.CreateCollection) (*pb.CollectionOperationResponse, error) {
	start := time.Now()
	name := req.GetCollectionName()
	if name == "" {
		return nil, invalidf("Validation error in body: [collection_name: length must be at least 1]")
	}
	if len(req.GetSparseVectorsConfig().GetMap()) > 0 {
		return nil, unimplementedf("sparse vectors are not supported by the stand-in")
	}
	var vectorName string
	var params *pb.VectorParams
	switch vc := req.GetVectorsConfig().GetConfig().(type) {
	case *pb.VectorsConfig_Params:
		params = vc.Params
	case *pb.VectorsConfig_ParamsMap:
		m := vc.ParamsMap.GetMap()
		if len(m) != 1 {
			return nil, unimplementedf("the stand-in supports exactly one dense vector per collection")
		}
		for k, v := range m {
			vectorName, params = k, v
		}
	default:
		return nil, invalidf("Wrong input: vectors config is missing")
	}
	if params.GetSize() == 0 || params.GetSize() > 65536 {
		return nil, invalidf("Validation error in body: [vectors_config.size: value %d invalid, must be from 1 to 65536]", params.GetSize())
	}
	switch params.GetDistance() {
	case pb.Distance_Cosine, pb.Distance_Dot:
	default:
		return nil, unimplementedf("distance %s is not supported by the stand-in", params.GetDistance())
	}
	if params.GetMultivectorConfig() != nil {
		return nil, unimplementedf("multivectors are not supported by the stand-in")
	}
	if params.GetDatatype() == pb.Datatype_Uint8 {
		return nil, unimplementedf("uint8 vectors are not supported by the stand-in")
	}
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	if _, ok := cs.s.collections[name]; ok {
		return nil, invalidf("Wrong input: Collection `%s` already exists!", name)
	}
	if _, ok := cs.s.aliases[name]; ok {
		return nil, invalidf("Wrong input: Alias with name `%s` already exists!", name)
	}
	cs.s.collections[name] = newCollection(req, vectorName, params)
	cs.s.log.Debug("collection created", "collection", name, "dims", params.GetSize())
	return &pb.CollectionOperationResponse{Result: true, Time: time.Since(start).Seconds()}, nil
}

func (cs collectionsService) Delete(_ context.Context, req *pb.DeleteCollection) (*pb.CollectionOperationResponse, error) {
	start := time.Now()
	name := req.GetCollectionName()
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	if _, ok := cs.s.collections[name]; !ok {
		return nil, notFoundf("Not found: Collection `%s` doesn't exist!", name)
	}
	delete(cs.s.collections, name)
	delete(cs.s.snapshots, name)
	// Qdrant drops the aliases of a deleted collection with it.
	maps.DeleteFunc(cs.s.aliases, func(_, target string) bool { return target == name })
	return &pb.CollectionOperationResponse{Result: true, Time: time.Since(start).Seconds()}, nil
}

func (cs collectionsService) CollectionExists(_ context.Context, req *pb.CollectionExistsRequest) (*pb.CollectionExistsResponse, error) {
	cs.s.mu.RLock()
	_, ok := cs.s.collections[req.GetCollectionName()]
	cs.s.mu.RUnlock()
	return &pb.CollectionExistsResponse{Result: &pb.CollectionExists{Exists: ok}}, nil
}

func (cs collectionsService) List(context.Context, *pb.ListCollectionsRequest) (*pb.ListCollectionsResponse, error) {
	cs.s.mu.RLock()
	names := slices.Sorted(maps.Keys(cs.s.collections))
	cs.s.mu.RUnlock()
	out := make([]*pb.CollectionDescription, 0, len(names))
	for _, n := range names {
		out = append(out, &pb.CollectionDescription{Name: n})
	}
	return &pb.ListCollectionsResponse{Collections: out}, nil
}

func (cs collectionsService) Get(_ context.Context, req *pb.GetCollectionInfoRequest) (*pb.GetCollectionInfoResponse, error) {
	start := time.Now()
	c, err := cs.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := uint64(c.count)
	schema := make(map[string]*pb.PayloadSchemaInfo, len(c.indexes))
	for field, ix := range c.indexes {
		var pts uint64
		for s, live := range c.live {
			if live && c.payloads[s][field] != nil {
				pts++
			}
		}
		schema[field] = &pb.PayloadSchemaInfo{DataType: ix.schema, Points: &pts}
	}
	cfg := c.config
	info := &pb.CollectionInfo{
		Status:              pb.CollectionStatus_Green,
		OptimizerStatus:     &pb.OptimizerStatus{Ok: true},
		SegmentsCount:       1,
		PointsCount:         &n,
		IndexedVectorsCount: &n,
		PayloadSchema:       schema,
		Config: &pb.CollectionConfig{
			Params: &pb.CollectionParams{
				ShardNumber:   1,
				VectorsConfig: cfg.GetVectorsConfig(),
			},
			HnswConfig:         cfg.GetHnswConfig(),
			OptimizerConfig:    cfg.GetOptimizersConfig(),
			WalConfig:          cfg.GetWalConfig(),
			QuantizationConfig: cfg.GetQuantizationConfig(),
		},
	}
	return &pb.GetCollectionInfoResponse{Result: info, Time: time.Since(start).Seconds()}, nil
}

// UpdateAliases applies all actions or none, as Qdrant does, so a switch
// (delete + create in one request) is atomic for searches.
func (cs collectionsService) UpdateAliases(_ context.Context, req *pb.ChangeAliases) (*pb.CollectionOperationResponse, error) {
	start := time.Now()
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	next := maps.Clone(cs.s.aliases)
	for _, op := range req.GetActions() {
		switch a := op.GetAction().(type) {
		case *pb.AliasOperations_CreateAlias:
			alias, target := a.CreateAlias.GetAliasName(), a.CreateAlias.GetCollectionName()
			if _, ok := cs.s.collections[target]; !ok {
				return nil, notFoundf("Not found: Collection `%s` doesn't exist!", target)
			}
			if _, ok := cs.s.collections[alias]; ok {
				return nil, invalidf("Wrong input: Collection `%s` already exists!", alias)
			}
			// Qdrant replaces an existing alias of the same name on create.
			next[alias] = target
		case *pb.AliasOperations_DeleteAlias:
			alias := a.DeleteAlias.GetAliasName()
			if _, ok := next[alias]; !ok {
				return nil, notFoundf("Not found: Alias `%s` doesn't exist!", alias)
			}
			delete(next, alias)
		case *pb.AliasOperations_RenameAlias:
			from, to := a.RenameAlias.GetOldAliasName(), a.RenameAlias.GetNewAliasName()
			target, ok := next[from]
			if !ok {
				return nil, notFoundf("Not found: Alias `%s` doesn't exist!", from)
			}
			delete(next, from)
			next[to] = target
		default:
			return nil, invalidf("Wrong input: empty alias action")
		}
	}
	cs.s.aliases = next
	return &pb.CollectionOperationResponse{Result: true, Time: time.Since(start).Seconds()}, nil
}

func (cs collectionsService) ListAliases(context.Context, *pb.ListAliasesRequest) (*pb.ListAliasesResponse, error) {
	return cs.aliases(func(string) bool { return true }), nil
}

func (cs collectionsService) ListCollectionAliases(_ context.Context, req *pb.ListCollectionAliasesRequest) (*pb.ListAliasesResponse, error) {
	name := req.GetCollectionName()
	return cs.aliases(func(target string) bool { return target == name }), nil
}

func (cs collectionsService) aliases(keep func(target string) bool) *pb.ListAliasesResponse {
	cs.s.mu.RLock()
	defer cs.s.mu.RUnlock()
	var out []*pb.AliasDescription
	for _, alias := range slices.Sorted(maps.Keys(cs.s.aliases)) {
		if target := cs.s.aliases[alias]; keep(target) {
			out = append(out, &pb.AliasDescription{AliasName: alias, CollectionName: target})
		}
	}
	return &pb.ListAliasesResponse{Aliases: out}
}
