import { describe, expect, it, vi } from 'vitest';
import { ApiError, LOCAL_OWNER, createDesktopApi, createHttpApi, type EventSourceLike, type FetchFn, type WailsBindings } from './api';
import { apiKey, grant, sharing, user } from '../test/fixtures';

interface Seen {
  url: string;
  method: string;
  body?: unknown;
  init?: RequestInit;
}

const json = (status: number, v: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const unauth = () => json(401, { error: { code: 'unauthenticated' } });

function fakeFetch(reply: (s: Seen) => Response | Promise<Response>, seen: Seen[] = []): FetchFn {
  return async (url, init) => {
    const s: Seen = { url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined, init };
    seen.push(s);
    return reply(s);
  };
}

/** A server with a session that expires: requests 401 until /auth/refresh succeeds (once, if refreshOk). */
function sessionServer(opts: { refreshOk: boolean }) {
  const seen: Seen[] = [];
  let valid = false;
  const fetchFn = fakeFetch((s) => {
    if (s.url.endsWith('/auth/refresh')) {
      if (!opts.refreshOk) return unauth();
      valid = true;
      return json(200, { access_token: 'a2', token_type: 'Bearer', expires_in: 900, refresh_token: 'r2', user: user() });
    }
    if (!valid) return unauth();
    return json(200, []);
  }, seen);
  return { seen, fetchFn };
}

describe('HTTP transport: sign-in and sessions', () => {
  it('sends same-origin credentials so the session cookies go along', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(fakeFetch(() => json(200, []), seen), '', undefined);
    await api.listCollections();
    expect(seen[0].init?.credentials).toBe('same-origin');
  });

  it('on a 401 refreshes the session once and retries the request', async () => {
    const { seen, fetchFn } = sessionServer({ refreshOk: true });
    const api = createHttpApi(fetchFn, '', undefined);
    const onUnauth = vi.fn();
    api.onUnauthenticated!(onUnauth);
    expect(await api.listCollections()).toEqual([]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/collections',
      'POST /api/v1/auth/refresh',
      'GET /api/v1/collections',
    ]);
    expect(seen[1].body).toEqual({});
    expect((seen[1].init?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(onUnauth).not.toHaveBeenCalled();
  });

  it('requests that fail together share one refresh (a refresh token is spent on use)', async () => {
    const { seen, fetchFn } = sessionServer({ refreshOk: true });
    const api = createHttpApi(fetchFn, '', undefined);
    await Promise.all([api.listCollections(), api.listModels(), api.listUsers()]);
    expect(seen.filter((s) => s.url.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(seen).toHaveLength(7);
  });

  it('a request that fails after another renewed the session is retried without a second refresh', async () => {
    let valid = false;
    const seen: Seen[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const api = createHttpApi(
      fakeFetch(async (s) => {
        if (s.url.endsWith('/auth/refresh')) {
          valid = true;
          return json(200, {});
        }
        // The first users request was sent with the old token and answers late.
        if (s.url.endsWith('/users') && seen.filter((x) => x.url.endsWith('/users')).length === 1) {
          await slow;
          return unauth();
        }
        return valid ? json(200, []) : unauth();
      }, seen),
      '',
      undefined,
    );
    const users = api.listUsers();
    await api.listCollections();
    releaseSlow();
    expect(await users).toEqual([]);
    expect(seen.filter((s) => s.url.endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('when the refresh fails too, tells the listeners and rejects with unauthenticated', async () => {
    const { seen, fetchFn } = sessionServer({ refreshOk: false });
    const api = createHttpApi(fetchFn, '', undefined);
    const onUnauth = vi.fn();
    const off = api.onUnauthenticated!(onUnauth);
    const err = await api.getSharing().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'unauthenticated' });
    expect(onUnauth).toHaveBeenCalledTimes(1);
    // No retry without a renewed session.
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/sharing', '/api/v1/auth/refresh']);
    off();
    await api.getSharing().catch(() => {});
    expect(onUnauth).toHaveBeenCalledTimes(1);
  });

  it('when the retry is refused again, the session is over', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(fakeFetch((s) => (s.url.endsWith('/auth/refresh') ? json(200, {}) : unauth()), seen), '', undefined);
    const onUnauth = vi.fn();
    api.onUnauthenticated!(onUnauth);
    await expect(api.me()).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(seen).toHaveLength(3);
    expect(onUnauth).toHaveBeenCalledTimes(1);
  });

  it('a refresh that cannot reach the server does not end the session', async () => {
    const seen: Seen[] = [];
    const onUnauth = vi.fn();
    const api = createHttpApi(
      async (url, init) => {
        seen.push({ url, method: init?.method ?? 'GET' });
        if (url.endsWith('/auth/refresh')) throw new TypeError('Failed to fetch');
        return unauth();
      },
      '',
      undefined,
    );
    api.onUnauthenticated!(onUnauth);
    await expect(api.listCollections()).rejects.toMatchObject({ code: 'unavailable' });
    expect(onUnauth).not.toHaveBeenCalled();
  });

  it('when the event stream gives up, a probe renews the session for its next try', async () => {
    const streams: { onerror: ((ev: Event) => unknown) | null; readyState: number }[] = [];
    const seen: Seen[] = [];
    const { fetchFn } = sessionServer({ refreshOk: true });
    const api = createHttpApi(
      (url, init) => {
        seen.push({ url, method: init?.method ?? 'GET' });
        return fetchFn(url, init);
      },
      '',
      () => {
        const es: EventSourceLike = { readyState: 0, onopen: null, onerror: null, addEventListener() {}, close() {} };
        streams.push(es);
        return es;
      },
    );
    const off = api.onEvent!('collection:changed', () => {});
    (streams[0] as { readyState: number }).readyState = 2;
    streams[0].onerror?.(new Event('error'));
    await vi.waitFor(() => expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/auth/me',
      'POST /api/v1/auth/refresh',
      'GET /api/v1/auth/me',
    ]));
    off();
  });

  it('a 403 is forbidden and refreshes nothing', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(
      fakeFetch(() => json(403, { error: { code: 'forbidden', message: 'You can only read “Papers”.' } }), seen),
      '',
      undefined,
    );
    await expect(api.rescanCollection('c')).rejects.toMatchObject({ code: 'forbidden', message: 'You can only read “Papers”.', status: 403 });
    expect(seen).toHaveLength(1);
  });

  it('login is neither refreshed nor retried: a 401 is a wrong password', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(
      fakeFetch(() => json(401, { error: { code: 'unauthenticated', message: 'Wrong user name or password.' } }), seen),
      '',
      undefined,
    );
    const onUnauth = vi.fn();
    api.onUnauthenticated!(onUnauth);
    await expect(api.login('alice', 'nope')).rejects.toMatchObject({ code: 'unauthenticated', message: 'Wrong user name or password.' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v1/auth/login']);
    expect(seen[0].body).toEqual({ username: 'alice', password: 'nope' });
    expect(onUnauth).not.toHaveBeenCalled();
  });

  it('a locked-out login is rate_limited and says when to try again', async () => {
    const api = createHttpApi(
      fakeFetch(() =>
        json(429, { error: { code: 'rate_limited', message: 'Too many failed sign-ins; try again in 42 s.', retry_after: 42 } }, { 'Retry-After': '42' }),
      ),
      '',
      undefined,
    );
    const err = await api.login('alice', 'x').catch((e) => e);
    expect(err).toMatchObject({ code: 'rate_limited', retryAfter: 42, status: 429 });
  });

  it('reads Retry-After when the body has no retry_after, and names bare statuses', async () => {
    const api = createHttpApi(
      fakeFetch((s) =>
        s.url.endsWith('/login')
          ? new Response('slow down', { status: 429, headers: { 'Retry-After': '7' } })
          : new Response('too big', { status: 413 }),
      ),
      '',
      undefined,
    );
    await expect(api.login('a', 'b')).rejects.toMatchObject({ code: 'rate_limited', retryAfter: 7 });
    await expect(api.createUser({ username: 'a', password: 'x'.repeat(10) })).rejects.toMatchObject({ code: 'too_large' });
  });

  it('an error body without a message still reads as a sentence', async () => {
    const api = createHttpApi(fakeFetch(() => json(403, { error: { code: 'forbidden' } })), '', undefined);
    const err = await api.listUsers().catch((e) => e);
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/permission/);
  });

  it('after a successful login a 401 from an older request is retried, not refreshed', async () => {
    const seen: Seen[] = [];
    let signedIn = false;
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const api = createHttpApi(
      fakeFetch(async (s) => {
        if (s.url.endsWith('/auth/login')) {
          signedIn = true;
          return json(200, { user: user() });
        }
        if (s.url.endsWith('/status') && seen.filter((x) => x.url.endsWith('/status')).length === 1) {
          await slow;
          return unauth();
        }
        return signedIn ? json(200, { version: 'v1' }) : unauth();
      }, seen),
      '',
      undefined,
    );
    const st = api.status();
    await api.login('alice', 'pw');
    releaseSlow();
    expect(await st).toEqual({ version: 'v1' });
    expect(seen.some((s) => s.url.endsWith('/auth/refresh'))).toBe(false);
  });

  it('logout resolves when there was no session left', async () => {
    const api = createHttpApi(fakeFetch(() => unauth()), '', undefined);
    await expect(api.logout()).resolves.toBeUndefined();
    const ok = createHttpApi(fakeFetch(() => new Response(null, { status: 204 })), '', undefined);
    await expect(ok.logout()).resolves.toBeUndefined();
  });

  it('calls the documented user, key, permission, sharing and audit endpoints', async () => {
    const seen: Seen[] = [];
    const api = createHttpApi(
      fakeFetch((s) => {
        if (s.method === 'DELETE') return new Response(null, { status: 204 });
        if (s.url.endsWith('/sharing')) return json(200, { ...sharing({ enabled: true }), urls: null });
        if (s.url.endsWith('/api-keys') && s.method === 'POST') return json(201, { key: { ...apiKey(), collection_ids: null }, secret: 'qk_x' });
        if (s.method === 'GET' && /\/(users|api-keys|permissions|audit)/.test(s.url)) return json(200, null);
        return json(200, {});
      }, seen),
      'https://q.example',
      undefined,
    );
    await api.me();
    await api.logout();
    expect(await api.listUsers()).toEqual([]);
    await api.createUser({ username: 'bob', password: 'long enough pw', is_admin: true });
    await api.updateUser(5, { is_active: false });
    expect(await api.listApiKeys()).toEqual([]);
    const made = await api.createApiKey({ name: 'ci', permission: 'read', collection_ids: ['c1'], expires_in_days: 30 });
    expect(made.secret).toBe('qk_x');
    expect(made.key.collection_ids).toEqual([]);
    await api.deleteApiKey('k 1');
    expect(await api.listGrants('c1')).toEqual([]);
    await api.grant('c1', { username: 'bob', permission: 'write' });
    await api.revokeGrant('c1', 9);
    const sh = await api.getSharing();
    expect(sh.urls).toEqual([]);
    await api.updateSharing({ enabled: true, address: '0.0.0.0:8788' });
    expect(await api.auditLog(50)).toEqual([]);
    await api.auditLog();
    expect(seen.map((s) => `${s.method} ${s.url.replace('https://q.example', '')}`)).toEqual([
      'GET /api/v1/auth/me',
      'POST /api/v1/auth/logout',
      'GET /api/v1/users',
      'POST /api/v1/users',
      'PATCH /api/v1/users/5',
      'GET /api/v1/api-keys',
      'POST /api/v1/api-keys',
      'DELETE /api/v1/api-keys/k%201',
      'GET /api/v1/collections/c1/permissions',
      'POST /api/v1/collections/c1/permissions',
      'DELETE /api/v1/collections/c1/permissions/9',
      'GET /api/v1/sharing',
      'PUT /api/v1/sharing',
      'GET /api/v1/audit?limit=50',
      'GET /api/v1/audit?limit=100',
    ]);
    expect(seen[3].body).toEqual({ username: 'bob', password: 'long enough pw', is_admin: true });
    expect(seen[4].body).toEqual({ is_active: false });
    expect(seen[6].body).toEqual({ name: 'ci', permission: 'read', collection_ids: ['c1'], expires_in_days: 30 });
    expect(seen[9].body).toEqual({ username: 'bob', permission: 'write' });
    expect(seen[12].body).toEqual({ enabled: true, address: '0.0.0.0:8788' });
    expect(api.fileUrl!('doc 1')).toBe('https://q.example/api/v1/documents/doc%201/file');
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

describe('desktop transport: the owner', () => {
  it('is the local owner without the Me binding, and signing in or out is trivial', async () => {
    const api = createDesktopApi(bindings());
    expect(await api.me()).toEqual(LOCAL_OWNER);
    expect((await api.login('x', 'y')).user.is_admin).toBe(true);
    await expect(api.logout()).resolves.toBeUndefined();
    expect(api.onUnauthenticated).toBeUndefined();
    expect(api.fileUrl).toBeUndefined();
  });

  it('calls the bindings by their Go names', async () => {
    const seen: string[] = [];
    const rec =
      (name: string, v: unknown = {}) =>
      async (...a: unknown[]) => {
        seen.push(`${name} ${JSON.stringify(a)}`);
        return v;
      };
    const api = createDesktopApi(
      bindings({
        Me: rec('Me', { mode: 'owner', user: user({ is_admin: true }) }),
        ListUsers: rec('ListUsers', null),
        CreateUser: rec('CreateUser'),
        UpdateUser: rec('UpdateUser'),
        ListAPIKeys: rec('ListAPIKeys', [{ ...apiKey(), collection_ids: null }]),
        CreateAPIKey: rec('CreateAPIKey', { key: apiKey(), secret: 'qk_s' }),
        DeleteAPIKey: rec('DeleteAPIKey', null),
        ListGrants: rec('ListGrants', [grant()]),
        Grant: rec('Grant', grant()),
        RevokeGrant: rec('RevokeGrant', null),
        GetSharing: rec('GetSharing', sharing()),
        UpdateSharing: rec('UpdateSharing', sharing({ enabled: true })),
        AuditLog: rec('AuditLog', null),
      }),
    );
    expect((await api.me()).mode).toBe('owner');
    expect(await api.listUsers()).toEqual([]);
    await api.createUser({ username: 'bob', password: 'pw' });
    await api.updateUser(3, { password: 'new' });
    expect((await api.listApiKeys())[0].collection_ids).toEqual([]);
    expect((await api.createApiKey({ name: 'k', permission: 'write', collection_ids: [] })).secret).toBe('qk_s');
    expect(await api.deleteApiKey('k1')).toBeUndefined();
    expect(await api.listGrants('c1')).toEqual([grant()]);
    await api.grant('c1', { username: 'bob', permission: 'read' });
    expect(await api.revokeGrant('c1', 4)).toBeUndefined();
    await api.getSharing();
    expect((await api.updateSharing({ enabled: true, address: '0.0.0.0:8788' })).enabled).toBe(true);
    expect(await api.auditLog(20)).toEqual([]);
    expect(seen).toEqual([
      'Me []',
      'ListUsers []',
      'CreateUser [{"display_name":"","is_admin":false,"username":"bob","password":"pw"}]',
      'UpdateUser [3,{"password":"new"}]',
      'ListAPIKeys []',
      'CreateAPIKey [{"name":"k","permission":"write","collection_ids":[]}]',
      'DeleteAPIKey ["k1"]',
      'ListGrants ["c1"]',
      'Grant ["c1",{"username":"bob","permission":"read"}]',
      'RevokeGrant ["c1",4]',
      'GetSharing []',
      'UpdateSharing [{"enabled":true,"address":"0.0.0.0:8788"}]',
      'AuditLog [20]',
    ]);
  });

  it('says when the build lacks a binding', async () => {
    const api = createDesktopApi(bindings());
    await expect(api.listUsers()).rejects.toMatchObject({ code: 'unsupported' });
    await expect(api.getSharing()).rejects.toMatchObject({ code: 'unsupported' });
  });
});
