// Types of Quarry's API, by hand: the same JSON (snake_case) comes from the
// Wails bindings and from the HTTP API, and unit tests must not depend on
// generated code.

export type Quantization = 'float32' | 'float16' | 'int8';
export const QUANTIZATIONS: readonly Quantization[] = ['float32', 'float16', 'int8'];

export type CollectionStatus = 'pending' | 'ready' | 'processing' | 'error' | 'degraded';

export interface Collection {
  id: string;
  name: string;
  description: string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
  status: CollectionStatus;
  status_message: string;
  source_count: number;
  document_count: number;
  vector_count: number;
  total_size_bytes: number;
  created_at: string;
  updated_at: string;
}

export interface Source {
  id: number;
  collection_id: string;
  type: 'directory' | 'file';
  path: string;
  document_count: number;
  size_bytes: number;
  last_indexed_at: string | null;
  created_at: string;
}

export interface Model {
  name: string;
  short_name: string;
  display_name: string;
  description: string;
  dims: number;
  max_seq_len: number;
  default_chunk_size: number;
  default_chunk_overlap: number;
  default: boolean;
}

export interface Status {
  version: string;
  database: string;
  vector_engine: string;
  data_dir: string;
  desktop: boolean;
}

export interface CreateCollectionRequest {
  name: string;
  description: string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
}

export interface UpdateCollectionRequest {
  name?: string;
  description?: string;
}

export interface AddSourceRequest {
  path: string;
}

/** The error object both transports reject with, as the server renders it. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}
