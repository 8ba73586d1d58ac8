import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  EVENT_TOPICS,
  EventHub,
  createDesktopApi,
  createHttpApi,
  toApiError,
  type EventSourceLike,
  type FetchFn,
  type WailsBindings,
} from './api';
import { collection, doc, operation, progress, source } from '../test/fixtures';

describe('toApiError', () => {
  const cases: { name: string; in: unknown; want: { code: string; message: string; field?: string } }[] = [
    {
      name: 'formatter object with field',
      in: { code: 'invalid_argument', message: 'A collection needs a name.', field: 'name' },
      want: { code: 'invalid_argument', message: 'A collection needs a name.', field: 'name' },
    },
    {
      name: 'formatter object without field',
      in: { code: 'not_found', message: 'Not found: x.' },
      want: { code: 'not_found', message: 'Not found: x.', field: undefined },
    },
    {
      name: 'empty field is no field',
      in: { code: 'internal', message: 'Boom.', field: '' },
      want: { code: 'internal', message: 'Boom.', field: undefined },
    },
    {
      name: 'formatter object as JSON text',
      in: '{"code":"name_taken","message":"Taken.","field":"name"}',
      want: { code: 'name_taken', message: 'Taken.', field: 'name' },
    },
    {
      name: 'HTTP error envelope',
      in: { error: { code: 'source_overlap', message: 'Inside /a.', field: 'path' } },
      want: { code: 'source_overlap', message: 'Inside /a.', field: 'path' },
    },
    {
      name: 'Wails v2.16: Error whose message is the formatter JSON',
      in: new Error('{"code":"source_exists","message":"/a is already a source.","field":"path"}'),
      want: { code: 'source_exists', message: '/a is already a source.', field: 'path' },
    },
    { name: 'Error with JSON that is no error body', in: new Error('{"x":1}'), want: { code: 'internal', message: '{"x":1}' } },
    { name: 'plain string', in: 'something broke', want: { code: 'internal', message: 'something broke' } },
    { name: 'broken JSON text', in: '{nope', want: { code: 'internal', message: '{nope' } },
    { name: 'Error', in: new TypeError('bad'), want: { code: 'internal', message: 'bad' } },
    { name: 'null', in: null, want: { code: 'internal', message: 'Something went wrong.' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = toApiError(c.in);
      expect(got).toBeInstanceOf(ApiError);
      expect(got).toBeInstanceOf(Error);
      expect({ code: got.code, message: got.message, field: got.field }).toEqual({ field: undefined, ...c.want });
    });
  }

  it('returns an ApiError unchanged', () => {
    const e = new ApiError('x', 'y');
    expect(toApiError(e)).toBe(e);
  });
});

interface Seen {
  url: string;
  method: string;
  body?: unknown;
}

function fakeFetch(reply: (s: Seen) => Response | Promise<Response>, seen: Seen[] = []): FetchFn {
  return async (url, init) => {
    const s: Seen = {
      url,
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    seen.push(s);
    return reply(s);
  };
}

const json = (status: number, v: unknown) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });

describe('HTTP transport', () => {
  it('calls the documented endpoints', async () => {
    const seen: Seen[] = [];
    const c = collection();
    const api = createHttpApi(
      fakeFetch((s) => {
        if (s.method === 'DELETE' && s.url.endsWith('/collections/id1')) return json(202, { id: 'op', type: 'delete' });
        if (s.method === 'DELETE') return new Response(null, { status: 204 });
        if (s.url.endsWith('/sources') && s.method === 'GET') return json(200, []);
        if (s.url.endsWith('/collections') && s.method === 'GET') return json(200, [c]);
        if (s.url.endsWith('/sources')) return json(201, { id: 7, path: '/x' });
        return json(200, c);
      }, seen),
    );
    expect(api.kind).toBe('http');
    await api.status();
    await api.listModels();
    expect(await api.listCollections()).toEqual([c]);
    await api.getCollection('a b');
    await api.createCollection({
      name: 'n',
      description: '',
      model: 'm',
      quantization: 'int8',
      chunk_size: 64,
      chunk_overlap: 8,
    });
    await api.updateCollection('id1', { name: 'new' });
    expect(await api.deleteCollection('id1')).toMatchObject({ type: 'delete' });
    await api.listSources('id1');
    await api.addSource('id1', { path: '/x' });
    expect(await api.removeSource('id1', 7)).toBeUndefined();
    await api.installModel({ model: 'ms-marco-MiniLM-L-6-v2' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/status',
      'GET /api/v1/models',
      'GET /api/v1/collections',
      'GET /api/v1/collections/a%20b',
      'POST /api/v1/collections',
      'PATCH /api/v1/collections/id1',
      'DELETE /api/v1/collections/id1',
      'GET /api/v1/collections/id1/sources',
      'POST /api/v1/collections/id1/sources',
      'DELETE /api/v1/collections/id1/sources/7',
      'POST /api/v1/models/install',
    ]);
    expect(seen[10].body).toEqual({ model: 'ms-marco-MiniLM-L-6-v2' });
    expect(seen[4].body).toEqual({
      name: 'n',
      description: '',
      model: 'm',
      quantization: 'int8',
      chunk_size: 64,
      chunk_overlap: 8,
    });
    expect(seen[5].body).toEqual({ name: 'new' });
    expect(seen[8].body).toEqual({ path: '/x' });
  });

  it('switches a folder’s watch with PATCH on the source', async () => {
    const seen: Seen[] = [];
    const paused = source({ id: 7, watch: false, watch_state: 'paused', watch_message: 'Watching is off: changes reach search when you rescan.' });
    const api = createHttpApi(
      fakeFetch(() => json(200, paused), seen),
      '',
      undefined,
    );
    expect(await api.updateSource('a b', 7, { watch: false })).toEqual(paused);
    await api.updateSource('a b', 7, { watch: true });
    expect(seen).toEqual([
      { url: '/api/v1/collections/a%20b/sources/7', method: 'PATCH', body: { watch: false } },
      { url: '/api/v1/collections/a%20b/sources/7', method: 'PATCH', body: { watch: true } },
    ]);
  });

  it('rejects a watch switch of a folder that is gone with the server error', async () => {
    const api = createHttpApi(fakeFetch(() => json(404, { error: { code: 'not_found', message: 'Not found: source 9.' } })), '', undefined);
    await expect(api.updateSource('c', 9, { watch: true })).rejects.toMatchObject({ code: 'not_found', message: 'Not found: source 9.' });
  });

  it('turns null lists into empty ones', async () => {
    const api = createHttpApi(fakeFetch(() => json(200, null)));
    expect(await api.listCollections()).toEqual([]);
    expect(await api.listSources('x')).toEqual([]);
  });

  it('rejects with the server error body', async () => {
    const api = createHttpApi(
      fakeFetch(() => json(409, { error: { code: 'name_taken', message: 'A collection named "a" already exists.', field: 'name' } })),
    );
    const err = await api.createCollection({ name: 'a' } as never).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'name_taken', field: 'name', message: 'A collection named "a" already exists.' });
  });

  it('explains a non-JSON error', async () => {
    const api = createHttpApi(fakeFetch(() => new Response('upstream down', { status: 502, statusText: 'Bad Gateway' })));
    const err = await api.status().catch((e) => e);
    expect(err).toMatchObject({ code: 'internal' });
    expect(err.message).toContain('502');
    expect(err.message).toContain('upstream down');
  });

  it('maps an unknown 404 to not_found', async () => {
    const api = createHttpApi(fakeFetch(() => new Response('', { status: 404 })));
    await expect(api.getCollection('x')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reports an unreachable server', async () => {
    const api = createHttpApi(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.listCollections()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('has no folder picker', async () => {
    await expect(createHttpApi(fakeFetch(() => json(200, {}))).pickDirectory()).rejects.toMatchObject({
      code: 'unsupported',
    });
  });
});

function bindings(over: Partial<WailsBindings> = {}): WailsBindings {
  const ok = async () => ({});
  return {
    Status: ok,
    ListModels: async () => null,
    ListCollections: async () => null,
    GetCollection: ok,
    CreateCollection: ok,
    UpdateCollection: ok,
    DeleteCollection: async () => undefined,
    ListSources: async () => null,
    AddSource: ok,
    RemoveSource: async () => undefined,
    RescanCollection: ok,
    ListOperations: async () => null,
    GetOperation: ok,
    CancelOperation: ok,
    ListDocuments: async () => null,
    PickDirectory: async () => '',
    ...over,
  };
}

describe('desktop transport', () => {
  it('passes arguments through to the bindings', async () => {
    const seen: unknown[][] = [];
    const api = createDesktopApi(
      bindings({
        UpdateCollection: async (...a) => {
          seen.push(a);
          return collection({ name: 'B' });
        },
        RemoveSource: async (...a) => {
          seen.push(a);
        },
        UpdateSource: async (...a) => {
          seen.push(a);
          return source({ id: 3, watch: false, watch_state: 'paused' });
        },
        InstallModel: async (...a) => {
          seen.push(a);
          return {};
        },
        PlanReindex: async (...a) => {
          seen.push(a);
          return { kind: 'reencode', summary: 'Re-encodes' };
        },
        ReindexCollection: async (...a) => {
          seen.push(a);
          return operation({ type: 'reindex' });
        },
      }),
    );
    expect(api.kind).toBe('desktop');
    expect((await api.updateCollection('id1', { name: 'B' })).name).toBe('B');
    await api.removeSource('id1', 3);
    expect(await api.updateSource('id1', 3, { watch: false })).toMatchObject({ id: 3, watch: false, watch_state: 'paused' });
    await api.installModel({ model: 'm', variant: 'int8' });
    expect((await api.planReindex('id1', { quantization: 'int8' })).kind).toBe('reencode');
    expect((await api.reindexCollection('id1', { chunk_size: 128 })).type).toBe('reindex');
    expect(seen).toEqual([
      ['id1', { name: 'B' }],
      ['id1', 3],
      ['id1', 3, { watch: false }],
      [{ model: 'm', variant: 'int8' }],
      ['id1', { quantization: 'int8' }],
      ['id1', { chunk_size: 128 }],
    ]);
  });

  it('turns Go nil slices into empty lists', async () => {
    const api = createDesktopApi(bindings());
    expect(await api.listCollections()).toEqual([]);
    expect(await api.listModels()).toEqual([]);
    expect(await api.listSources('x')).toEqual([]);
  });

  it('rejects with the error formatter object as ApiError', async () => {
    const api = createDesktopApi(
      bindings({
        AddSource: () => Promise.reject({ code: 'not_a_directory', message: '/etc/passwd is a file.', field: 'path' }),
      }),
    );
    const err = await api.addSource('c', { path: '/etc/passwd' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not_a_directory', message: '/etc/passwd is a file.', field: 'path' });
  });

  it('rejects a failed watch switch with the formatter error, and says when the build lacks the binding', async () => {
    const api = createDesktopApi(
      bindings({ UpdateSource: () => Promise.reject(new Error(JSON.stringify({ code: 'not_found', message: 'Not found: source 9.' }))) }),
    );
    await expect(api.updateSource('c', 9, { watch: true })).rejects.toMatchObject({ code: 'not_found', message: 'Not found: source 9.' });
    await expect(createDesktopApi(bindings()).updateSource('c', 9, { watch: true })).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('reads the formatter JSON from the Error the Wails runtime rejects with', async () => {
    const api = createDesktopApi(
      bindings({
        // What runtime/desktop/calls.js does with message.error.
        CreateCollection: () => Promise.reject(new Error(JSON.stringify({ code: 'name_taken', message: 'Taken.', field: 'name' }))),
      }),
    );
    await expect(api.createCollection({} as never)).rejects.toMatchObject({ code: 'name_taken', message: 'Taken.', field: 'name' });
  });

  it('rejects with a plain string as an internal ApiError', async () => {
    const api = createDesktopApi(bindings({ Status: () => Promise.reject('runtime gone') }));
    await expect(api.status()).rejects.toMatchObject({ code: 'internal', message: 'runtime gone' });
  });

  it('catches synchronous throws (e.g. no bridge)', async () => {
    const api = createDesktopApi(
      bindings({
        ListCollections: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'main')");
        },
      }),
    );
    await expect(api.listCollections()).rejects.toBeInstanceOf(ApiError);
  });

  it('reports a cancelled folder picker as empty', async () => {
    expect(await createDesktopApi(bindings({ PickDirectory: async () => '' })).pickDirectory()).toBe('');
    expect(await createDesktopApi(bindings({ PickDirectory: async () => '/home/a' })).pickDirectory()).toBe('/home/a');
  });

  it('forwards file drops from the runtime', () => {
    let cb: ((x: number, y: number, paths: string[]) => void) | undefined;
    let useTarget: boolean | undefined;
    let off = 0;
    const api = createDesktopApi(bindings(), {
      OnFileDrop: (c, u) => {
        cb = c;
        useTarget = u;
      },
      OnFileDropOff: () => off++,
    });
    const got: string[][] = [];
    const stop = api.onFileDrop!((p) => got.push(p));
    cb!(10, 20, ['/a', '/b']);
    expect(got).toEqual([['/a', '/b']]);
    expect(useTarget).toBe(false);
    stop();
    expect(off).toBe(1);
  });
});

describe('HTTP transport: operations and documents', () => {
  it('calls the documented endpoints, POSTs as JSON', async () => {
    const seen: (Seen & { type?: string })[] = [];
    const fetchFn: FetchFn = async (url, init) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      seen.push({ url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined, type: headers['Content-Type'] });
      if (url.includes('/documents') || url.endsWith('/operations')) return json(200, null);
      return json(url.endsWith('/rescan') ? 202 : 200, operation());
    };
    const api = createHttpApi(fetchFn, '', undefined);
    expect((await api.rescanCollection('c 1')).id).toBe('op-1');
    expect(await api.listOperations('c1')).toEqual([]);
    await api.getOperation('op-1');
    await api.cancelOperation('op-1');
    await api.pauseOperation('op-1');
    await api.resumeOperation('op-1');
    await api.retryDocuments('c1', {});
    await api.planReindex('c1', {});
    await api.reindexCollection('c1', {});
    expect(await api.listDocuments('c1', { status: 'failed', limit: 100, offset: 200 })).toEqual([]);
    await api.listDocuments('c1', { status: '', limit: 100, offset: 0 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/v1/collections/c%201/rescan',
      'GET /api/v1/collections/c1/operations',
      'GET /api/v1/operations/op-1',
      'POST /api/v1/operations/op-1/cancel',
      'POST /api/v1/operations/op-1/pause',
      'POST /api/v1/operations/op-1/resume',
      'POST /api/v1/collections/c1/retry',
      'POST /api/v1/collections/c1/reindex/plan',
      'POST /api/v1/collections/c1/reindex',
      'GET /api/v1/collections/c1/documents?status=failed&limit=100&offset=200',
      'GET /api/v1/collections/c1/documents?status=&limit=100&offset=0',
    ]);
    // The server requires a JSON body type on every POST.
    for (const s of seen.filter((x) => x.method === 'POST')) {
      expect(s.type).toBe('application/json');
      expect(s.body).toEqual({});
    }
  });

  it('reports an operation that has already finished as a conflict', async () => {
    const api = createHttpApi(fakeFetch(() => json(409, { error: { code: 'conflict', message: 'The operation has already finished.' } })));
    await expect(api.cancelOperation('x')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('has no event stream without EventSource', () => {
    const api = createHttpApi(fakeFetch(() => json(200, {})), '', undefined);
    expect(api.onEvent).toBeUndefined();
  });
});

/** A stand-in for the browser's EventSource. */
class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, l: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  send(type: string, data: string) {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data }));
  }
  fail(closed: boolean) {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }
}

describe('HTTP event stream', () => {
  function setup(retryMs = 10) {
    FakeEventSource.all = [];
    const hub = new EventHub((u) => new FakeEventSource(u), '/api/v1/events', retryMs);
    return { hub, es: () => FakeEventSource.all[FakeEventSource.all.length - 1] };
  }

  it('opens one stream on demand, delivers named events as JSON, closes with the last listener', () => {
    const { hub, es } = setup();
    expect(FakeEventSource.all).toHaveLength(0);
    const progressSeen: unknown[] = [];
    const changed: string[] = [];
    const off1 = hub.on('operation:progress', (p) => progressSeen.push(p));
    const off2 = hub.on('collection:changed', (id) => changed.push(id));
    expect(FakeEventSource.all).toHaveLength(1);
    expect(es().url).toBe('/api/v1/events');
    es().open();
    es().send('operation:progress', JSON.stringify(progress({ files_done: 3 })));
    es().send('collection:changed', '"c1"');
    es().send('collection:changed', 'not json');
    expect(progressSeen).toEqual([progress({ files_done: 3 })]);
    expect(changed).toEqual(['c1']);
    off1();
    expect(es().closed).toBe(false);
    off2();
    expect(es().closed).toBe(true);
  });

  it('reports the connection and retries when the browser gives up', async () => {
    const { hub, es } = setup(10);
    const states: boolean[] = [];
    const off = hub.onConnected((c) => states.push(c));
    expect(states).toEqual([false]);
    es().open();
    expect(hub.connected).toBe(true);
    // A dropped connection the browser retries by itself.
    es().fail(false);
    expect(FakeEventSource.all).toHaveLength(1);
    es().open();
    // An error answer: the browser stops; the hub opens a new stream later.
    es().fail(true);
    expect(states).toEqual([false, true, false, true, false]);
    await vi.waitFor(() => expect(FakeEventSource.all).toHaveLength(2));
    es().open();
    expect(states.at(-1)).toBe(true);
    off();
    expect(es().closed).toBe(true);
    expect(hub.connected).toBe(false);
  });

  it('is wired into the HTTP Api', () => {
    FakeEventSource.all = [];
    const api = createHttpApi(fakeFetch(() => json(200, {})), 'http://h', (u) => new FakeEventSource(u));
    const off = api.onEvent!('collection:changed', () => {});
    expect(FakeEventSource.all[0].url).toBe('http://h/api/v1/events');
    off();
  });
});

describe('desktop events', () => {
  it('listens through the runtime and stops one listener at a time', () => {
    const handlers = new Map<string, ((...d: unknown[]) => void)[]>();
    const offs: string[] = [];
    const rt = {
      OnFileDrop: () => {},
      OnFileDropOff: () => {},
      EventsOn: (name: string, cb: (...d: unknown[]) => void) => {
        handlers.set(name, [...(handlers.get(name) ?? []), cb]);
        return () => offs.push(name);
      },
    };
    const api = createDesktopApi(bindings(), rt);
    const got: unknown[] = [];
    const off = api.onEvent!('operation:progress', (p) => got.push(p));
    handlers.get('operation:progress')![0](progress());
    expect(got).toEqual([progress()]);
    off();
    expect(offs).toEqual(['operation:progress']);
    const states: boolean[] = [];
    api.onEventsConnected!((c) => states.push(c));
    expect(states).toEqual([true]);
  });

  it('calls the new bindings', async () => {
    const seen: unknown[][] = [];
    const rec =
      (name: string) =>
      async (...a: unknown[]) => {
        seen.push([name, ...a]);
        return name === 'ListDocuments' ? null : operation();
      };
    const api = createDesktopApi(
      bindings({
        RescanCollection: rec('RescanCollection'),
        CancelOperation: rec('CancelOperation'),
        GetOperation: rec('GetOperation'),
        ListDocuments: rec('ListDocuments'),
      }),
    );
    await api.rescanCollection('c');
    await api.cancelOperation('o');
    await api.getOperation('o');
    expect(await api.listDocuments('c', { status: 'failed', limit: 100, offset: 0 })).toEqual([]);
    expect(await api.listOperations('c')).toEqual([]);
    expect(seen).toEqual([
      ['RescanCollection', 'c'],
      ['CancelOperation', 'o'],
      ['GetOperation', 'o'],
      ['ListDocuments', 'c', { status: 'failed', limit: 100, offset: 0 }],
    ]);
  });
});

describe('unlocking a document', () => {
  it('HTTP: POSTs the password as JSON to the document and passes a wrong password on as a field error', async () => {
    const seen: Seen[] = [];
    let wrong = false;
    const api = createHttpApi(
      fakeFetch(() => {
        if (wrong) {
          return json(400, {
            error: { code: 'invalid_argument', field: 'password', message: 'That password does not open a.pdf. Check it and try again.' },
          });
        }
        return json(200, { document: doc({ id: 'd 1', status: 'completed' }), operation_id: 'op-9' });
      }, seen),
      '',
      undefined,
    );
    const r = await api.unlockDocument('c1', 'd 1', { password: 's3cret' });
    expect(r.document.status).toBe('completed');
    expect(r.operation_id).toBe('op-9');
    expect(seen[0]).toEqual({ url: '/api/v1/collections/c1/documents/d%201/unlock', method: 'POST', body: { password: 's3cret' } });
    wrong = true;
    await expect(api.unlockDocument('c1', 'd 1', { password: 'nope' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'password' });
  });

  it('desktop: calls the UnlockDocument binding, and says so when a build lacks it', async () => {
    const seen: unknown[][] = [];
    const api = createDesktopApi(
      bindings({
        UnlockDocument: async (...a: unknown[]) => {
          seen.push(a);
          return { document: doc({ status: 'completed' }) };
        },
      }),
    );
    expect((await api.unlockDocument('c', 'd', { password: 'pw' })).document.status).toBe('completed');
    expect(seen).toEqual([['c', 'd', { password: 'pw' }]]);
    await expect(createDesktopApi(bindings()).unlockDocument('c', 'd', { password: 'pw' })).rejects.toBeInstanceOf(ApiError);
  });
});

describe('search and open', () => {
  const reply = {
    query: 'tides',
    mode: 'keyword',
    results: [
      { collection_id: 'c', document_id: 'd', path: '/a/t.txt', file_name: 't.txt', mime_type: 'text/plain', modified: '2026-01-01T00:00:00Z', score: 0.5, passages: null, more_matches: 0 },
    ],
    has_more: false,
    took_ms: 3,
  };

  it('HTTP: POSTs the request as JSON and reads nulls as empty lists', async () => {
    const seen: Seen[] = [];
    const inits: RequestInit[] = [];
    const fetchFn: FetchFn = async (url, init) => {
      inits.push(init!);
      return fakeFetch(() => json(200, reply), seen)(url, init);
    };
    const api = createHttpApi(fetchFn, '', undefined);
    const req = { query: 'tides', mode: 'keyword' as const, filters: { file_types: ['pdf'] }, supersedes: 'searchbox' };
    const r = await api.search(req);
    expect(seen[0]).toMatchObject({ url: '/api/v1/search', method: 'POST', body: req });
    expect((inits[0].headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(r.results![0].passages).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('HTTP: an aborted search rejects with code aborted', async () => {
    const fetchFn: FetchFn = (_url, init) =>
      new Promise((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
      });
    const api = createHttpApi(fetchFn, '', undefined);
    const ctl = new AbortController();
    const p = api.search({ query: 'x', filters: {} }, { signal: ctl.signal });
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
  });

  it('HTTP: an over-long query is the server’s invalid_argument', async () => {
    const api = createHttpApi(
      fakeFetch(() => json(400, { error: { code: 'invalid_argument', message: 'The query is too long.', field: 'query' } })),
      '',
      undefined,
    );
    await expect(api.search({ query: 'x'.repeat(2000), filters: {} })).rejects.toMatchObject({ code: 'invalid_argument', field: 'query' });
  });

  it('HTTP: opening a document answers 204', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(fakeFetch(() => new Response(null, { status: 204 }), seen), '', undefined);
    expect(await api.openDocument({ document_id: 'd', page: 3 })).toBeNull();
    expect(seen[0]).toMatchObject({ url: '/api/v1/documents/open', method: 'POST', body: { document_id: 'd', page: 3 } });
  });

  it('desktop: calls Search and OpenDocument', async () => {
    const seen: unknown[][] = [];
    const api = createDesktopApi(
      bindings({
        Search: async (...a) => {
          seen.push(['Search', ...a]);
          return { ...reply, warnings: null, results: null };
        },
        OpenDocument: async (...a) => {
          seen.push(['OpenDocument', ...a]);
          return { path: '/a/t.txt', page_used: false };
        },
      }),
    );
    const r = await api.search({ query: 'tides', filters: {} });
    expect(r.results).toEqual([]);
    expect(await api.openDocument({ document_id: 'd' })).toEqual({ path: '/a/t.txt', page_used: false });
    expect(seen).toEqual([
      ['Search', { query: 'tides', filters: {} }],
      ['OpenDocument', { document_id: 'd' }],
    ]);
  });

  it('desktop: bindings without Search reject as unsupported', async () => {
    const api = createDesktopApi(bindings());
    await expect(api.search({ query: 'x', filters: {} })).rejects.toMatchObject({ code: 'unsupported' });
    await expect(api.openDocument({ document_id: 'd' })).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('models: download, pause, cancel, delete, import', () => {
  const info = { name: 'bge-small-en-v1.5', installed: false, state: 'downloading' };

  it('HTTP: calls the documented endpoints', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(fakeFetch(() => json(200, info), seen), '', undefined);
    expect((await api.downloadModel('bge-small-en-v1.5')).state).toBe('downloading');
    await api.pauseModelDownload('bge-small-en-v1.5');
    await api.cancelModelDownload('bge-small-en-v1.5');
    await api.deleteModel('a b');
    await api.importModel({ model: 'glove-6b-100d', paths: ['/m/glove'] });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/v1/models/bge-small-en-v1.5/download',
      'POST /api/v1/models/bge-small-en-v1.5/download/pause',
      'POST /api/v1/models/bge-small-en-v1.5/download/cancel',
      'DELETE /api/v1/models/a%20b',
      'POST /api/v1/models/import',
    ]);
    expect(seen[4].body).toEqual({ model: 'glove-6b-100d', paths: ['/m/glove'] });
  });

  it('HTTP: a refused delete keeps the server’s message', async () => {
    const message = 'GloVe word vectors (English) is used by Notes: delete those collections, or reindex them with another model, first.';
    const api = createHttpApi(fakeFetch(() => json(409, { error: { code: 'conflict', message } })), '', undefined);
    await expect(api.deleteModel('glove-6b-100d')).rejects.toMatchObject({ code: 'conflict', message });
  });

  it('desktop: calls the bindings, or says the build lacks them', async () => {
    const seen: unknown[][] = [];
    const rec =
      (name: string) =>
      async (...a: unknown[]) => {
        seen.push([name, ...a]);
        return info;
      };
    const api = createDesktopApi(
      bindings({
        DownloadModel: rec('DownloadModel'),
        PauseModelDownload: rec('PauseModelDownload'),
        CancelModelDownload: rec('CancelModelDownload'),
        DeleteModel: rec('DeleteModel'),
        ImportModel: rec('ImportModel'),
      }),
    );
    await api.downloadModel('m');
    await api.pauseModelDownload('m');
    await api.cancelModelDownload('m');
    await api.deleteModel('m');
    await api.importModel({ model: 'm', paths: ['/x'], allow_unverified: true });
    expect(seen).toEqual([
      ['DownloadModel', 'm'],
      ['PauseModelDownload', 'm'],
      ['CancelModelDownload', 'm'],
      ['DeleteModel', 'm'],
      ['ImportModel', { model: 'm', paths: ['/x'], variant: '', allow_unverified: true }],
    ]);
    await expect(createDesktopApi(bindings({})).downloadModel('m')).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('listens to model:download on the event stream', () => {
    expect(EVENT_TOPICS).toContain('model:download');
  });
});
