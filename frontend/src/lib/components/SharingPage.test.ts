import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import SharingPage from './SharingPage.svelte';
import SharingSettings from './SharingSettings.svelte';
import UsersPanel from './UsersPanel.svelte';
import ApiKeysPanel from './ApiKeysPanel.svelte';
import AuditPanel from './AuditPanel.svelte';
import { ApiError } from '../api';
import { apiKey, auditEntry, collection, fakeApi, lanMe, sharing } from '../../test/fixtures';

const PAPERS = collection({ id: 'c1', name: 'Papers' });
const NOTES = collection({ id: 'c2', name: 'Notes' });

describe('SharingPage', () => {
  it('an admin sees sharing, users, API keys and the audit log', async () => {
    render(SharingPage, { api: fakeApi(), collections: [PAPERS], onclose: vi.fn() });
    expect(screen.getByRole('heading', { name: 'Sharing', level: 2 })).toBeTruthy();
    for (const id of ['sharing-settings', 'users-panel', 'api-keys-panel', 'audit-panel']) expect(screen.getByTestId(id)).toBeTruthy();
  });

  it('anyone else only their API keys', async () => {
    render(SharingPage, { api: fakeApi({ me: lanMe() }), me: lanMe(), collections: [PAPERS], onclose: vi.fn() });
    expect(screen.getByRole('heading', { name: 'API keys', level: 2 })).toBeTruthy();
    expect(screen.getByTestId('api-keys-panel')).toBeTruthy();
    for (const id of ['sharing-settings', 'users-panel', 'audit-panel']) expect(screen.queryByTestId(id)).toBeNull();
  });
});

describe('SharingSettings', () => {
  it('turns sharing on at the address and shows how to reach and trust it', async () => {
    const api = fakeApi();
    render(SharingSettings, { api });
    const sw = (await screen.findByRole('switch', { name: 'Share on the local network' })) as HTMLInputElement;
    expect(sw.checked).toBe(false);
    expect((screen.getByLabelText('Address') as HTMLInputElement).value).toBe('0.0.0.0:8788');
    expect(screen.getByTestId('sharing-state').textContent).toBe('Off');
    await fireEvent.click(sw);
    await waitFor(() => expect(screen.getByTestId('sharing-state').textContent).toBe('Running'));
    expect(api.calls).toEqual(['sharing true 0.0.0.0:8788']);
    const link = screen.getByRole('link', { name: 'https://192.168.1.10:8788' }) as HTMLAnchorElement;
    expect(link.href).toBe('https://192.168.1.10:8788/');
    expect(screen.getByText('Colleagues should see this certificate fingerprint')).toBeTruthy();
    const fp = screen.getByTestId('sharing-fingerprint');
    expect(fp.textContent).toBe('AB:CD:EF:01');
    expect(fp.tagName).toBe('CODE');
    expect((screen.getByAltText('QR code for the sharing address') as HTMLImageElement).src).toMatch(/^data:image\/png/);
  });

  it('announces sharing on the local network unless that is turned off', async () => {
    const api = fakeApi();
    render(SharingSettings, { api });
    const sw = (await screen.findByRole('switch', { name: 'Share on the local network' })) as HTMLInputElement;
    const announce = screen.getByRole('checkbox', { name: /Announce on the local network/ }) as HTMLInputElement;
    expect(announce.checked).toBe(true);
    await fireEvent.click(sw);
    await waitFor(() => expect(screen.getByTestId('sharing-announced').textContent).toBe('Announced as “Quarry on desk”.'));
    await fireEvent.click(announce);
    await waitFor(() => expect(screen.queryByTestId('sharing-announced')).toBeNull());
    expect(api.sharingState.announce).toBe(false);
    expect(api.sharingState.running).toBe(true);
    expect(announce.checked).toBe(false);
  });

  it('says why sharing is not announced', async () => {
    const api = fakeApi();
    api.sharingState = sharing({ enabled: true, running: true, urls: ['https://192.168.1.10:8788'], announce_error: 'Sharing could not be announced on the local network (no multicast).' });
    render(SharingSettings, { api });
    expect((await screen.findByTestId('sharing-announce-error')).textContent).toMatch(/could not be announced/);
  });

  it('applies a new address and shows a refusal by the field', async () => {
    const api = fakeApi();
    api.sharingState = sharing({ enabled: true, running: true, urls: ['https://192.168.1.10:8788'], fingerprint: 'AA' });
    render(SharingSettings, { api });
    const addr = await screen.findByLabelText('Address');
    const apply = screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement;
    expect(apply.disabled).toBe(true);
    await fireEvent.input(addr, { target: { value: 'nonsense' } });
    await fireEvent.click(apply);
    expect((await screen.findByText('Give the address as host:port.')).textContent).toContain('invalid_argument');
    await fireEvent.input(addr, { target: { value: '0.0.0.0:9000' } });
    await fireEvent.click(apply);
    await screen.findByRole('link', { name: 'https://192.168.1.10:9000' });
    expect(api.calls).toEqual(['sharing true nonsense', 'sharing true 0.0.0.0:9000']);
  });

  it('a listener started for this run only shows as on, and switching it off stops it', async () => {
    const api = fakeApi();
    api.sharingState = sharing({ enabled: false, running: true, address: '127.0.0.1:8788', urls: ['https://127.0.0.1:8788'], fingerprint: 'AA' });
    render(SharingSettings, { api });
    const sw = (await screen.findByRole('switch', { name: 'Share on the local network' })) as HTMLInputElement;
    expect(sw.checked).toBe(true);
    expect(screen.getByTestId('sharing-state').textContent).toBe('Running');
    expect(screen.getByTestId('sharing-this-run').textContent).toMatch(/Started for this run only/);
    expect(screen.getByRole('button', { name: 'Apply' })).toBeTruthy();
    await fireEvent.click(sw);
    await waitFor(() => expect(screen.getByTestId('sharing-state').textContent).toBe('Off'));
    expect(api.calls).toEqual(['sharing false 127.0.0.1:8788']);
    expect(sw.checked).toBe(false);
    expect(screen.queryByTestId('sharing-this-run')).toBeNull();
  });

  it('shows why the listener is not running', async () => {
    const api = fakeApi();
    api.sharingState = sharing({ enabled: true, running: false, error: 'Port 8788 is in use by another program.' });
    render(SharingSettings, { api });
    expect((await screen.findByTestId('sharing-error')).textContent).toBe('Port 8788 is in use by another program.');
    expect(screen.getByTestId('sharing-state').textContent).toBe('Not running');
    expect((screen.getByRole('switch') as HTMLInputElement).checked).toBe(true);
  });
});

describe('UsersPanel', () => {
  it('lists users with their role, state and last sign-in', async () => {
    render(UsersPanel, { api: fakeApi() });
    const rows = await screen.findAllByTestId('user-row');
    expect(rows.map((r) => r.getAttribute('data-username'))).toEqual(['owner', 'alice']);
    const headers = within(screen.getByRole('table', { name: 'Users' })).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers.slice(0, 4)).toEqual(['User name', 'Admin', 'Active', 'Last sign-in']);
    expect(rows[1].textContent).toContain('never');
    // The owner at this computer cannot be disabled here.
    expect(within(rows[0]).queryByRole('button', { name: /Disable/ })).toBeNull();
  });

  it('adds a user, and shows the server’s refusal', async () => {
    const api = fakeApi();
    render(UsersPanel, { api });
    await screen.findAllByTestId('user-row');
    const form = screen.getByRole('form', { name: 'Add user' });
    await fireEvent.input(within(form).getByLabelText('User name'), { target: { value: 'alice' } });
    await fireEvent.input(within(form).getByLabelText('Password'), { target: { value: 'long enough pw' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('already exists');

    await fireEvent.input(within(form).getByLabelText('User name'), { target: { value: 'bob' } });
    await fireEvent.input(within(form).getByLabelText('Password'), { target: { value: 'long enough pw' } });
    await fireEvent.click(within(form).getByLabelText('Admin'));
    await fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(3));
    expect(api.calls).toContain('create-user bob admin');
    expect(screen.getAllByTestId('user-row')[2].textContent).toContain('Yes');
  });

  it('checks the password length before asking', async () => {
    const api = fakeApi();
    render(UsersPanel, { api });
    await screen.findAllByTestId('user-row');
    const form = screen.getByRole('form', { name: 'Add user' });
    await fireEvent.input(within(form).getByLabelText('User name'), { target: { value: 'bob' } });
    await fireEvent.input(within(form).getByLabelText('Password'), { target: { value: 'short' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('at least 10 characters');
    expect(api.calls).toEqual([]);
  });

  it('resets a password inline and disables and enables a user', async () => {
    const api = fakeApi();
    render(UsersPanel, { api });
    await screen.findAllByTestId('user-row');
    await fireEvent.click(screen.getByRole('button', { name: 'Reset password of alice' }));
    const field = screen.getByLabelText('New password for alice');
    expect(document.activeElement).toBe(field);
    await fireEvent.input(field, { target: { value: 'a brand new secret' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save password' }));
    await waitFor(() => expect(screen.queryByLabelText('New password for alice')).toBeNull());
    expect(api.passwords.alice).toBe('a brand new secret');

    await fireEvent.click(screen.getByRole('button', { name: 'Disable alice' }));
    await waitFor(() => expect(screen.getAllByTestId('user-active')[1].textContent).toBe('Disabled'));
    await fireEvent.click(screen.getByRole('button', { name: 'Enable alice' }));
    await waitFor(() => expect(screen.getAllByTestId('user-active')[1].textContent).toBe('Active'));
    expect(api.calls).toEqual([
      'update-user 2 {"password":"a brand new secret"}',
      'update-user 2 {"is_active":false}',
      'update-user 2 {"is_active":true}',
    ]);
  });

  it('shows a failed change on its row', async () => {
    const api = fakeApi();
    api.updateUser = async () => {
      throw new ApiError('forbidden', 'Only an admin can change users.');
    };
    render(UsersPanel, { api });
    await screen.findAllByTestId('user-row');
    await fireEvent.click(screen.getByRole('button', { name: 'Disable alice' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Only an admin can change users.');
  });

  it('does not offer to disable oneself', async () => {
    const api = fakeApi();
    render(UsersPanel, { api, me: lanMe({ id: 2, is_admin: true }) });
    await screen.findAllByTestId('user-row');
    expect(screen.queryByRole('button', { name: 'Disable alice' })).toBeNull();
  });
});

describe('ApiKeysPanel', () => {
  it('makes a key limited to collections and shows its secret once', async () => {
    const api = fakeApi();
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(ApiKeysPanel, { api, collections: [PAPERS, NOTES] });
    expect(await screen.findByTestId('no-api-keys')).toBeTruthy();
    const form = screen.getByRole('form', { name: 'New API key' });
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: 'nightly export' } });
    await fireEvent.change(within(form).getByLabelText('Permission'), { target: { value: 'write' } });
    await fireEvent.click(within(form).getByLabelText('Notes'));
    await fireEvent.input(within(form).getByLabelText('Expires after (days)'), { target: { value: '30' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Create key' }));

    const secret = await screen.findByTestId('api-key-secret');
    expect(secret.textContent).toContain('This key is shown once.');
    const input = within(secret).getByLabelText('Secret of nightly export') as HTMLInputElement;
    expect(input.readOnly).toBe(true);
    expect(input.value).toMatch(/^qk_/);
    await fireEvent.click(within(secret).getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith(input.value);
    expect(api.calls).toEqual(['create-key {"name":"nightly export","permission":"write","collection_ids":["c2"],"expires_in_days":30}']);

    const row = screen.getByTestId('api-key-row');
    expect(row.textContent).toContain('nightly export');
    expect(row.textContent).toContain('Notes');
    expect(row.textContent).toContain('Write');

    await fireEvent.click(within(secret).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-key-secret')).toBeNull();
    expect(document.body.textContent).not.toContain(input.value);
  });

  it('needs a name', async () => {
    const api = fakeApi();
    render(ApiKeysPanel, { api, collections: [] });
    await screen.findByTestId('no-api-keys');
    await fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Give the key a name');
    expect(api.calls).toEqual([]);
  });

  it('revokes a key after asking', async () => {
    const api = fakeApi();
    api.apiKeys = [apiKey({ id: 'k-9', name: 'old script', username: 'alice' })];
    render(ApiKeysPanel, { api, collections: [], showOwner: true });
    const row = await screen.findByTestId('api-key-row');
    expect(row.textContent).toContain('alice');
    await fireEvent.click(screen.getByRole('button', { name: 'Revoke old script' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke “old script”?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(screen.queryByTestId('api-key-row')).toBeNull());
    expect(api.calls).toEqual(['delete-key k-9']);
  });
});

describe('AuditPanel', () => {
  it('shows the newest entries: time, who, action, collection, address', async () => {
    const api = fakeApi();
    api.audit = [
      auditEntry({ id: 2, action: 'permission.grant', collection_id: 'c1', collection_name: 'Papers', username: 'owner', address: '127.0.0.1' }),
      auditEntry({ id: 1, action: 'auth.login_failed', username: null, address: '192.168.1.33' }),
    ];
    render(AuditPanel, { api });
    const rows = await screen.findAllByTestId('audit-row');
    expect(rows).toHaveLength(2);
    const headers = within(screen.getByRole('table', { name: 'Audit log' })).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Time', 'Who', 'Action', 'Collection', 'Address']);
    const cells = within(rows[0]).getAllByRole('cell').map((c) => c.textContent);
    expect(cells.slice(1)).toEqual(['owner', 'Shared a collection', 'Papers', '127.0.0.1']);
    expect(within(rows[1]).getAllByRole('cell')[1].textContent).toBe('—');
    expect(api.calls).toEqual(['audit 100']);
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(api.calls).toEqual(['audit 100', 'audit 100']));
  });

  it('says in words whom a grant was for and what happened to an operation', async () => {
    const api = fakeApi();
    api.audit = [
      auditEntry({ id: 4, action: 'permission.grant', collection_name: 'Papers', details: { username: 'bob', user_id: 2, permission: 'read' } }),
      auditEntry({ id: 3, action: 'permission.revoke', collection_name: 'Papers', details: { api_key: 'backup', permission: 'read' } }),
      auditEntry({ id: 2, action: 'operation.completed', collection_name: 'Papers', username: null, details: { type: 'index', status: 'completed' } }),
      auditEntry({ id: 1, action: 'source.added', collection_name: 'Papers', details: { path: '/home/o/papers' } }),
    ];
    render(AuditPanel, { api });
    const rows = await screen.findAllByTestId('audit-row');
    expect(rows.map((r) => within(r).getAllByRole('cell')[2].textContent)).toEqual([
      'Shared a collection with bob (read)',
      'Stopped sharing a collection with the API key “backup”',
      'Index folder: completed',
      'Added a folder',
    ]);
  });

  it('shows a refusal', async () => {
    const api = fakeApi();
    api.auditLog = async () => {
      throw new ApiError('forbidden', 'Only an admin can read the audit log.');
    };
    render(AuditPanel, { api });
    expect((await screen.findByRole('alert')).textContent).toContain('Only an admin');
  });
});
