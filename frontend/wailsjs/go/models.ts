export namespace embedder {
	
	export class Info {
	    model: string;
	    kind: string;
	    variant?: string;
	    dims: number;
	    max_seq_len: number;
	    pooling: string;
	    normalize: boolean;
	    device: string;
	    device_note?: string;
	    threads: number;
	    concurrency: number;
	    fingerprint: string;
	    library?: string;
	    runtime_version?: string;
	    load_time: number;
	
	    static createFrom(source: any = {}) {
	        return new Info(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.kind = source["kind"];
	        this.variant = source["variant"];
	        this.dims = source["dims"];
	        this.max_seq_len = source["max_seq_len"];
	        this.pooling = source["pooling"];
	        this.normalize = source["normalize"];
	        this.device = source["device"];
	        this.device_note = source["device_note"];
	        this.threads = source["threads"];
	        this.concurrency = source["concurrency"];
	        this.fingerprint = source["fingerprint"];
	        this.library = source["library"];
	        this.runtime_version = source["runtime_version"];
	        this.load_time = source["load_time"];
	    }
	}

}

export namespace models {
	
	export class Fusion {
	    weight: number;
	    evidence: string;
	    measured: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Fusion(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.weight = source["weight"];
	        this.evidence = source["evidence"];
	        this.measured = source["measured"];
	    }
	}

}

export namespace search {
	
	export class Coverage {
	    collection_id: string;
	    name: string;
	    semantic: boolean;
	    documents: number;
	    embedded: number;
	    vectors_loaded: number;
	
	    static createFrom(source: any = {}) {
	        return new Coverage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.collection_id = source["collection_id"];
	        this.name = source["name"];
	        this.semantic = source["semantic"];
	        this.documents = source["documents"];
	        this.embedded = source["embedded"];
	        this.vectors_loaded = source["vectors_loaded"];
	    }
	}
	export class Filters {
	    source_ids?: number[];
	    folders?: string[];
	    file_types?: string[];
	    // Go type: time
	    modified_from?: any;
	    // Go type: time
	    modified_before?: any;
	    statuses?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Filters(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source_ids = source["source_ids"];
	        this.folders = source["folders"];
	        this.file_types = source["file_types"];
	        this.modified_from = this.convertValues(source["modified_from"], null);
	        this.modified_before = this.convertValues(source["modified_before"], null);
	        this.statuses = source["statuses"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Span {
	    start: number;
	    end: number;
	
	    static createFrom(source: any = {}) {
	        return new Span(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.start = source["start"];
	        this.end = source["end"];
	    }
	}
	export class Snippet {
	    text: string;
	    highlights: Span[];
	
	    static createFrom(source: any = {}) {
	        return new Snippet(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.text = source["text"];
	        this.highlights = this.convertValues(source["highlights"], Span);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Passage {
	    chunk_index: number;
	    score: number;
	    rerank_score?: number;
	    keyword_score: number;
	    semantic_score: number;
	    page?: number;
	    page_end?: number;
	    heading?: string;
	    snippet: Snippet;
	
	    static createFrom(source: any = {}) {
	        return new Passage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.chunk_index = source["chunk_index"];
	        this.score = source["score"];
	        this.rerank_score = source["rerank_score"];
	        this.keyword_score = source["keyword_score"];
	        this.semantic_score = source["semantic_score"];
	        this.page = source["page"];
	        this.page_end = source["page_end"];
	        this.heading = source["heading"];
	        this.snippet = this.convertValues(source["snippet"], Snippet);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Request {
	    query: string;
	    collection_ids?: string[];
	    mode?: string;
	    filters: Filters;
	    limit?: number;
	    offset?: number;
	    passages?: number;
	    min_score?: number;
	    rerank?: boolean;
	    rerank_depth?: number;
	    supersedes?: string;
	
	    static createFrom(source: any = {}) {
	        return new Request(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.query = source["query"];
	        this.collection_ids = source["collection_ids"];
	        this.mode = source["mode"];
	        this.filters = this.convertValues(source["filters"], Filters);
	        this.limit = source["limit"];
	        this.offset = source["offset"];
	        this.passages = source["passages"];
	        this.min_score = source["min_score"];
	        this.rerank = source["rerank"];
	        this.rerank_depth = source["rerank_depth"];
	        this.supersedes = source["supersedes"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Result {
	    collection_id: string;
	    document_id: string;
	    path: string;
	    file_name: string;
	    mime_type: string;
	    // Go type: time
	    modified: any;
	    score: number;
	    passages: Passage[];
	    more_matches: number;
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.collection_id = source["collection_id"];
	        this.document_id = source["document_id"];
	        this.path = source["path"];
	        this.file_name = source["file_name"];
	        this.mime_type = source["mime_type"];
	        this.modified = this.convertValues(source["modified"], null);
	        this.score = source["score"];
	        this.passages = this.convertValues(source["passages"], Passage);
	        this.more_matches = source["more_matches"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Response {
	    query: string;
	    mode: string;
	    results: Result[];
	    has_more: boolean;
	    warnings?: string[];
	    coverage?: Coverage[];
	    reranker?: string;
	    reranked?: number;
	    took_ms: number;
	
	    static createFrom(source: any = {}) {
	        return new Response(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.query = source["query"];
	        this.mode = source["mode"];
	        this.results = this.convertValues(source["results"], Result);
	        this.has_more = source["has_more"];
	        this.warnings = source["warnings"];
	        this.coverage = this.convertValues(source["coverage"], Coverage);
	        this.reranker = source["reranker"];
	        this.reranked = source["reranked"];
	        this.took_ms = source["took_ms"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	

}

export namespace service {
	
	export class APIKey {
	    id: string;
	    name: string;
	    prefix: string;
	    user_id: number;
	    username: string;
	    permission: string;
	    collection_ids: string[];
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    last_used_at?: any;
	    // Go type: time
	    expires_at?: any;
	    is_active: boolean;
	
	    static createFrom(source: any = {}) {
	        return new APIKey(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.prefix = source["prefix"];
	        this.user_id = source["user_id"];
	        this.username = source["username"];
	        this.permission = source["permission"];
	        this.collection_ids = source["collection_ids"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.last_used_at = this.convertValues(source["last_used_at"], null);
	        this.expires_at = this.convertValues(source["expires_at"], null);
	        this.is_active = source["is_active"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class APIKeyRef {
	    id: string;
	    name: string;
	
	    static createFrom(source: any = {}) {
	        return new APIKeyRef(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	    }
	}
	export class AddSourceRequest {
	    path: string;
	
	    static createFrom(source: any = {}) {
	        return new AddSourceRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	    }
	}
	export class AuditEntry {
	    id: number;
	    // Go type: time
	    created_at: any;
	    username?: string;
	    action: string;
	    collection_id?: string;
	    collection_name?: string;
	    address: string;
	    details: Record<string, any>;
	
	    static createFrom(source: any = {}) {
	        return new AuditEntry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.username = source["username"];
	        this.action = source["action"];
	        this.collection_id = source["collection_id"];
	        this.collection_name = source["collection_name"];
	        this.address = source["address"];
	        this.details = source["details"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Readiness {
	    keyword: string;
	    semantic: string;
	    chunks: number;
	    embedded_chunks: number;
	    model_state: string;
	    download_percent?: number;
	    model_error?: string;
	    vectors_loaded: number;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new Readiness(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.keyword = source["keyword"];
	        this.semantic = source["semantic"];
	        this.chunks = source["chunks"];
	        this.embedded_chunks = source["embedded_chunks"];
	        this.model_state = source["model_state"];
	        this.download_percent = source["download_percent"];
	        this.model_error = source["model_error"];
	        this.vectors_loaded = source["vectors_loaded"];
	        this.message = source["message"];
	    }
	}
	export class Collection {
	    id: string;
	    name: string;
	    description: string;
	    model: string;
	    quantization: string;
	    chunk_size: number;
	    chunk_overlap: number;
	    status: string;
	    status_message: string;
	    source_count: number;
	    document_count: number;
	    vector_count: number;
	    total_size_bytes: number;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    updated_at: any;
	    readiness: Readiness;
	    is_public: boolean;
	    permission: string;
	    owner: string;
	
	    static createFrom(source: any = {}) {
	        return new Collection(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.description = source["description"];
	        this.model = source["model"];
	        this.quantization = source["quantization"];
	        this.chunk_size = source["chunk_size"];
	        this.chunk_overlap = source["chunk_overlap"];
	        this.status = source["status"];
	        this.status_message = source["status_message"];
	        this.source_count = source["source_count"];
	        this.document_count = source["document_count"];
	        this.vector_count = source["vector_count"];
	        this.total_size_bytes = source["total_size_bytes"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.updated_at = this.convertValues(source["updated_at"], null);
	        this.readiness = this.convertValues(source["readiness"], Readiness);
	        this.is_public = source["is_public"];
	        this.permission = source["permission"];
	        this.owner = source["owner"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CreateAPIKeyRequest {
	    name: string;
	    permission: string;
	    collection_ids: string[];
	    expires_in_days?: number;
	
	    static createFrom(source: any = {}) {
	        return new CreateAPIKeyRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.permission = source["permission"];
	        this.collection_ids = source["collection_ids"];
	        this.expires_in_days = source["expires_in_days"];
	    }
	}
	export class CreateCollectionRequest {
	    name: string;
	    description: string;
	    model: string;
	    quantization: string;
	    chunk_size: number;
	    chunk_overlap: number;
	
	    static createFrom(source: any = {}) {
	        return new CreateCollectionRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.description = source["description"];
	        this.model = source["model"];
	        this.quantization = source["quantization"];
	        this.chunk_size = source["chunk_size"];
	        this.chunk_overlap = source["chunk_overlap"];
	    }
	}
	export class CreateUserRequest {
	    username: string;
	    password: string;
	    display_name?: string;
	    is_admin?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new CreateUserRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.username = source["username"];
	        this.password = source["password"];
	        this.display_name = source["display_name"];
	        this.is_admin = source["is_admin"];
	    }
	}
	export class CreatedAPIKey {
	    key: APIKey;
	    secret: string;
	
	    static createFrom(source: any = {}) {
	        return new CreatedAPIKey(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = this.convertValues(source["key"], APIKey);
	        this.secret = source["secret"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Document {
	    id: string;
	    path: string;
	    size: number;
	    mime_type: string;
	    status: string;
	    error: string;
	    chunk_count: number;
	    page_count: number;
	    stage: string;
	    paths: number;
	
	    static createFrom(source: any = {}) {
	        return new Document(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.path = source["path"];
	        this.size = source["size"];
	        this.mime_type = source["mime_type"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.chunk_count = source["chunk_count"];
	        this.page_count = source["page_count"];
	        this.stage = source["stage"];
	        this.paths = source["paths"];
	    }
	}
	export class Grant {
	    id: number;
	    collection_id: string;
	    user_id?: number;
	    username?: string;
	    api_key_id?: string;
	    api_key_name?: string;
	    permission: string;
	    // Go type: time
	    created_at: any;
	
	    static createFrom(source: any = {}) {
	        return new Grant(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.collection_id = source["collection_id"];
	        this.user_id = source["user_id"];
	        this.username = source["username"];
	        this.api_key_id = source["api_key_id"];
	        this.api_key_name = source["api_key_name"];
	        this.permission = source["permission"];
	        this.created_at = this.convertValues(source["created_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class GrantRequest {
	    username?: string;
	    api_key_id?: string;
	    permission: string;
	
	    static createFrom(source: any = {}) {
	        return new GrantRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.username = source["username"];
	        this.api_key_id = source["api_key_id"];
	        this.permission = source["permission"];
	    }
	}
	export class ImportModelRequest {
	    model: string;
	    variant: string;
	    paths: string[];
	    allow_unverified: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ImportModelRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.variant = source["variant"];
	        this.paths = source["paths"];
	        this.allow_unverified = source["allow_unverified"];
	    }
	}
	export class InstallModelRequest {
	    model: string;
	    variant?: string;
	
	    static createFrom(source: any = {}) {
	        return new InstallModelRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.variant = source["variant"];
	    }
	}
	export class ListDocumentsRequest {
	    status: string;
	    limit: number;
	    offset: number;
	
	    static createFrom(source: any = {}) {
	        return new ListDocumentsRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = source["status"];
	        this.limit = source["limit"];
	        this.offset = source["offset"];
	    }
	}
	export class User {
	    id: number;
	    username: string;
	    display_name: string;
	    is_admin: boolean;
	    is_active: boolean;
	    is_local: boolean;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    last_login_at?: any;
	
	    static createFrom(source: any = {}) {
	        return new User(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.username = source["username"];
	        this.display_name = source["display_name"];
	        this.is_admin = source["is_admin"];
	        this.is_active = source["is_active"];
	        this.is_local = source["is_local"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.last_login_at = this.convertValues(source["last_login_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Me {
	    mode: string;
	    user: User;
	    api_key?: APIKeyRef;
	
	    static createFrom(source: any = {}) {
	        return new Me(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.mode = source["mode"];
	        this.user = this.convertValues(source["user"], User);
	        this.api_key = this.convertValues(source["api_key"], APIKeyRef);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ModelUse {
	    id: string;
	    name: string;
	
	    static createFrom(source: any = {}) {
	        return new ModelUse(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	    }
	}
	export class ModelInfo {
	    name: string;
	    short_name: string;
	    display_name: string;
	    description: string;
	    kind: string;
	    dims: number;
	    max_seq_len: number;
	    default_chunk_size: number;
	    default_chunk_overlap: number;
	    default: boolean;
	    bundled?: boolean;
	    languages?: string;
	    license?: string;
	    repo?: string;
	    revision?: string;
	    unavailable?: string;
	    installed: boolean;
	    state?: string;
	    download_percent?: number;
	    error?: string;
	    size_bytes: number;
	    device?: string;
	    collections: ModelUse[];
	    hybrid: models.Fusion;
	
	    static createFrom(source: any = {}) {
	        return new ModelInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.short_name = source["short_name"];
	        this.display_name = source["display_name"];
	        this.description = source["description"];
	        this.kind = source["kind"];
	        this.dims = source["dims"];
	        this.max_seq_len = source["max_seq_len"];
	        this.default_chunk_size = source["default_chunk_size"];
	        this.default_chunk_overlap = source["default_chunk_overlap"];
	        this.default = source["default"];
	        this.bundled = source["bundled"];
	        this.languages = source["languages"];
	        this.license = source["license"];
	        this.repo = source["repo"];
	        this.revision = source["revision"];
	        this.unavailable = source["unavailable"];
	        this.installed = source["installed"];
	        this.state = source["state"];
	        this.download_percent = source["download_percent"];
	        this.error = source["error"];
	        this.size_bytes = source["size_bytes"];
	        this.device = source["device"];
	        this.collections = this.convertValues(source["collections"], ModelUse);
	        this.hybrid = this.convertValues(source["hybrid"], models.Fusion);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class OpenDocumentRequest {
	    document_id: string;
	    page?: number;
	
	    static createFrom(source: any = {}) {
	        return new OpenDocumentRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.document_id = source["document_id"];
	        this.page = source["page"];
	    }
	}
	export class OpenDocumentResult {
	    path: string;
	    page_used: boolean;
	
	    static createFrom(source: any = {}) {
	        return new OpenDocumentResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.page_used = source["page_used"];
	    }
	}
	export class Operation {
	    id: string;
	    collection_id: string;
	    type: string;
	    status: string;
	    config: store.OpConfig;
	    progress: Record<string, any>;
	    error: string;
	    // Go type: time
	    created_at: any;
	    // Go type: time
	    started_at?: any;
	    // Go type: time
	    completed_at?: any;
	
	    static createFrom(source: any = {}) {
	        return new Operation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.collection_id = source["collection_id"];
	        this.type = source["type"];
	        this.status = source["status"];
	        this.config = this.convertValues(source["config"], store.OpConfig);
	        this.progress = source["progress"];
	        this.error = source["error"];
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.started_at = this.convertValues(source["started_at"], null);
	        this.completed_at = this.convertValues(source["completed_at"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class ReindexPlan {
	    kind: string;
	    model: string;
	    quantization: string;
	    chunk_size: number;
	    chunk_overlap: number;
	    documents: number;
	    chunks: number;
	    model_calls: boolean;
	    model_installed: boolean;
	    estimated_seconds: number;
	    summary: string;
	
	    static createFrom(source: any = {}) {
	        return new ReindexPlan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.model = source["model"];
	        this.quantization = source["quantization"];
	        this.chunk_size = source["chunk_size"];
	        this.chunk_overlap = source["chunk_overlap"];
	        this.documents = source["documents"];
	        this.chunks = source["chunks"];
	        this.model_calls = source["model_calls"];
	        this.model_installed = source["model_installed"];
	        this.estimated_seconds = source["estimated_seconds"];
	        this.summary = source["summary"];
	    }
	}
	export class ReindexRequest {
	    model?: string;
	    quantization?: string;
	    chunk_size?: number;
	    chunk_overlap?: number;
	
	    static createFrom(source: any = {}) {
	        return new ReindexRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.quantization = source["quantization"];
	        this.chunk_size = source["chunk_size"];
	        this.chunk_overlap = source["chunk_overlap"];
	    }
	}
	export class RetryRequest {
	    document_ids?: string[];
	
	    static createFrom(source: any = {}) {
	        return new RetryRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.document_ids = source["document_ids"];
	    }
	}
	export class Settings {
	    embed_threads: number;
	    embed_concurrency: number;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.embed_threads = source["embed_threads"];
	        this.embed_concurrency = source["embed_concurrency"];
	    }
	}
	export class Sharing {
	    enabled: boolean;
	    running: boolean;
	    address: string;
	    urls: string[];
	    fingerprint: string;
	    certificate: string;
	    qr: string;
	    error: string;
	    announce: boolean;
	    announced: string;
	    announce_error: string;
	
	    static createFrom(source: any = {}) {
	        return new Sharing(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.enabled = source["enabled"];
	        this.running = source["running"];
	        this.address = source["address"];
	        this.urls = source["urls"];
	        this.fingerprint = source["fingerprint"];
	        this.certificate = source["certificate"];
	        this.qr = source["qr"];
	        this.error = source["error"];
	        this.announce = source["announce"];
	        this.announced = source["announced"];
	        this.announce_error = source["announce_error"];
	    }
	}
	export class Source {
	    id: number;
	    collection_id: string;
	    type: string;
	    path: string;
	    document_count: number;
	    size_bytes: number;
	    // Go type: time
	    last_indexed_at?: any;
	    // Go type: time
	    created_at: any;
	    watch: boolean;
	    watch_state: string;
	    watch_message?: string;
	    operation_id?: string;
	
	    static createFrom(source: any = {}) {
	        return new Source(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.collection_id = source["collection_id"];
	        this.type = source["type"];
	        this.path = source["path"];
	        this.document_count = source["document_count"];
	        this.size_bytes = source["size_bytes"];
	        this.last_indexed_at = this.convertValues(source["last_indexed_at"], null);
	        this.created_at = this.convertValues(source["created_at"], null);
	        this.watch = source["watch"];
	        this.watch_state = source["watch_state"];
	        this.watch_message = source["watch_message"];
	        this.operation_id = source["operation_id"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Status {
	    version: string;
	    database: string;
	    vector_engine: string;
	    data_dir: string;
	    desktop: boolean;
	    embedders: embedder.Info[];
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.database = source["database"];
	        this.vector_engine = source["vector_engine"];
	        this.data_dir = source["data_dir"];
	        this.desktop = source["desktop"];
	        this.embedders = this.convertValues(source["embedders"], embedder.Info);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UnlockRequest {
	    password: string;
	
	    static createFrom(source: any = {}) {
	        return new UnlockRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.password = source["password"];
	    }
	}
	export class UnlockResult {
	    document: Document;
	    operation_id?: string;
	
	    static createFrom(source: any = {}) {
	        return new UnlockResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.document = this.convertValues(source["document"], Document);
	        this.operation_id = source["operation_id"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UpdateCollectionRequest {
	    name?: string;
	    description?: string;
	    is_public?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UpdateCollectionRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.description = source["description"];
	        this.is_public = source["is_public"];
	    }
	}
	export class UpdateSharingRequest {
	    enabled: boolean;
	    address: string;
	    announce?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UpdateSharingRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.enabled = source["enabled"];
	        this.address = source["address"];
	        this.announce = source["announce"];
	    }
	}
	export class UpdateSourceRequest {
	    watch?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UpdateSourceRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.watch = source["watch"];
	    }
	}
	export class UpdateUserRequest {
	    password?: string;
	    is_active?: boolean;
	    is_admin?: boolean;
	    display_name?: string;
	
	    static createFrom(source: any = {}) {
	        return new UpdateUserRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.password = source["password"];
	        this.is_active = source["is_active"];
	        this.is_admin = source["is_admin"];
	        this.display_name = source["display_name"];
	    }
	}

}

export namespace store {
	
	export class ReindexTarget {
	    model: string;
	    dims: number;
	    quantization: string;
	    chunk_size: number;
	    chunk_overlap: number;
	    staging: string;
	
	    static createFrom(source: any = {}) {
	        return new ReindexTarget(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.model = source["model"];
	        this.dims = source["dims"];
	        this.quantization = source["quantization"];
	        this.chunk_size = source["chunk_size"];
	        this.chunk_overlap = source["chunk_overlap"];
	        this.staging = source["staging"];
	    }
	}
	export class OpConfig {
	    source_id?: number;
	    embed_only?: boolean;
	    paths?: string[];
	    reason?: string;
	    reindex?: ReindexTarget;
	
	    static createFrom(source: any = {}) {
	        return new OpConfig(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source_id = source["source_id"];
	        this.embed_only = source["embed_only"];
	        this.paths = source["paths"];
	        this.reason = source["reason"];
	        this.reindex = this.convertValues(source["reindex"], ReindexTarget);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

