// Test data and a fake Api: a plain object over in-memory state that
// behaves like the server for the calls the UI makes.

import { ApiError, type Api } from '../lib/api';
import type { Collection, Model, Source, Status } from '../lib/types';

export const MINILM: Model = {
  name: 'sentence-transformers/all-MiniLM-L6-v2',
  short_name: 'minilm',
  display_name: 'MiniLM L6 v2',
  description: 'Small, fast English model',
  dims: 384,
  max_seq_len: 256,
  default_chunk_size: 256,
  default_chunk_overlap: 32,
  default: true,
};

export const BGE: Model = {
  name: 'BAAI/bge-base-en-v1.5',
  short_name: 'bge',
  display_name: 'BGE base v1.5',
  description: 'Larger English model',
  dims: 768,
  max_seq_len: 512,
  default_chunk_size: 400,
  default_chunk_overlap: 50,
  default: false,
};

export const STATUS: Status = {
  version: 'v0.1.0',
  database: 'embedded PostgreSQL 18.4',
  vector_engine: 'not configured',
  data_dir: '/tmp/q',
  desktop: false,
};

export function collection(over: Partial<Collection> = {}): Collection {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'Papers',
    description: 'Research PDFs',
    model: MINILM.name,
    quantization: 'float32',
    chunk_size: 256,
    chunk_overlap: 32,
    status: 'pending',
    status_message: '',
    source_count: 0,
    document_count: 0,
    vector_count: 0,
    total_size_bytes: 0,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export interface FakeApi extends Api {
  collections: Collection[];
  sources: Source[];
  calls: string[];
}

export function fakeApi(init: { collections?: Collection[]; kind?: 'desktop' | 'http'; pick?: string } = {}): FakeApi {
  let n = 100;
  const api: FakeApi = {
    kind: init.kind ?? 'http',
    collections: [...(init.collections ?? [])],
    sources: [],
    calls: [],
    async status() {
      return STATUS;
    },
    async listModels() {
      return [MINILM, BGE];
    },
    async listCollections() {
      return [...api.collections];
    },
    async getCollection(id) {
      const c = api.collections.find((x) => x.id === id);
      if (!c) throw new ApiError('not_found', `Not found: ${id}.`);
      return { ...c, source_count: api.sources.filter((s) => s.collection_id === id).length };
    },
    async createCollection(req) {
      api.calls.push(`create ${JSON.stringify(req)}`);
      if (api.collections.some((c) => c.name === req.name)) {
        throw new ApiError('name_taken', `A collection named "${req.name}" already exists.`, 'name');
      }
      const c = collection({ ...req, id: `id-${++n}` });
      api.collections.push(c);
      return c;
    },
    async updateCollection(id, req) {
      api.calls.push(`update ${id} ${JSON.stringify(req)}`);
      if (req.name && api.collections.some((c) => c.name === req.name && c.id !== id)) {
        throw new ApiError('name_taken', `A collection named "${req.name}" already exists.`, 'name');
      }
      const i = api.collections.findIndex((c) => c.id === id);
      api.collections[i] = { ...api.collections[i], ...req };
      return api.collections[i];
    },
    async deleteCollection(id) {
      api.calls.push(`delete ${id}`);
      api.collections = api.collections.filter((c) => c.id !== id);
    },
    async listSources(cid) {
      return api.sources.filter((s) => s.collection_id === cid);
    },
    async addSource(cid, req) {
      api.calls.push(`add ${cid} ${req.path}`);
      if (!req.path.startsWith('/')) {
        throw new ApiError('invalid_argument', 'Give the full path of the folder.', 'path');
      }
      if (req.path.includes('missing')) throw new ApiError('path_not_found', `${req.path} does not exist.`, 'path');
      const s: Source = {
        id: ++n,
        collection_id: cid,
        type: 'directory',
        path: req.path,
        document_count: 0,
        size_bytes: 0,
        last_indexed_at: null,
        created_at: '2026-01-01T00:00:00Z',
      };
      api.sources.push(s);
      return s;
    },
    async removeSource(cid, sid) {
      api.calls.push(`remove ${cid} ${sid}`);
      api.sources = api.sources.filter((s) => s.id !== sid);
    },
    async pickDirectory() {
      api.calls.push('pick');
      return init.pick ?? '';
    },
  };
  return api;
}
