export namespace models {
	
	export class File {
	    repo?: string;
	    revision?: string;
	    path: string;
	    size?: number;
	    sha256?: string;
	    optional?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new File(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.repo = source["repo"];
	        this.revision = source["revision"];
	        this.path = source["path"];
	        this.size = source["size"];
	        this.sha256 = source["sha256"];
	        this.optional = source["optional"];
	    }
	}
	export class Variant {
	    name: string;
	    onnx: File;
	
	    static createFrom(source: any = {}) {
	        return new Variant(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.onnx = this.convertValues(source["onnx"], File);
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
	export class Model {
	    name: string;
	    short_name: string;
	    display_name: string;
	    description: string;
	    dims: number;
	    max_seq_len: number;
	    default_chunk_size: number;
	    default_chunk_overlap: number;
	    default: boolean;
	    kind: string;
	    repo?: string;
	    revision?: string;
	    license?: string;
	    languages?: string;
	    pooling: string;
	    normalize: boolean;
	    query_prefix?: string;
	    document_prefix?: string;
	    files?: File[];
	    variants?: Variant[];
	    unavailable?: string;
	
	    static createFrom(source: any = {}) {
	        return new Model(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.short_name = source["short_name"];
	        this.display_name = source["display_name"];
	        this.description = source["description"];
	        this.dims = source["dims"];
	        this.max_seq_len = source["max_seq_len"];
	        this.default_chunk_size = source["default_chunk_size"];
	        this.default_chunk_overlap = source["default_chunk_overlap"];
	        this.default = source["default"];
	        this.kind = source["kind"];
	        this.repo = source["repo"];
	        this.revision = source["revision"];
	        this.license = source["license"];
	        this.languages = source["languages"];
	        this.pooling = source["pooling"];
	        this.normalize = source["normalize"];
	        this.query_prefix = source["query_prefix"];
	        this.document_prefix = source["document_prefix"];
	        this.files = this.convertValues(source["files"], File);
	        this.variants = this.convertValues(source["variants"], Variant);
	        this.unavailable = source["unavailable"];
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
	    }
	}
	export class UpdateCollectionRequest {
	    name?: string;
	    description?: string;
	
	    static createFrom(source: any = {}) {
	        return new UpdateCollectionRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.description = source["description"];
	    }
	}

}

