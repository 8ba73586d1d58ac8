import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import SettingsDialog from './SettingsDialog.svelte';
import { ApiError } from '../api';
import { fakeApi, sharing } from '../../test/fixtures';

describe('SettingsDialog', () => {
  it('loads the current settings and saves changes', async () => {
    const api = fakeApi();
    api.settings = { embed_threads: 2, embed_concurrency: 1 };
    const onclose = vi.fn();
    const onsaved = vi.fn();
    render(SettingsDialog, { api, onclose, onsaved });
    const threads = (await screen.findByLabelText('Threads per model')) as HTMLInputElement;
    await waitFor(() => expect(threads.value).toBe('2'));
    await fireEvent.input(threads, { target: { value: '1' } });
    await fireEvent.input(screen.getByLabelText('Batches at once'), { target: { value: '2' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(api.calls).toContain('settings 1 2');
    expect(onsaved).toHaveBeenCalledWith({ embed_threads: 1, embed_concurrency: 2 });
  });

  it('says how sharing stands and leads to the Sharing page', async () => {
    const api = fakeApi();
    api.sharingState = sharing({ enabled: true, running: true, urls: ['https://192.168.1.10:8788'] });
    const onsharing = vi.fn();
    render(SettingsDialog, { api, onclose: vi.fn(), onsharing });
    const part = await screen.findByTestId('settings-sharing');
    await waitFor(() => expect(part.textContent).toContain('On: colleagues open https://192.168.1.10:8788.'));
    await fireEvent.click(screen.getByRole('button', { name: 'Sharing settings…' }));
    expect(onsharing).toHaveBeenCalled();
  });

  it('shows the server’s reason next to the field', async () => {
    const api = fakeApi();
    api.updateSettings = async () => {
      throw new ApiError('invalid_argument', 'Concurrent batches must be between 1 and 16.', 'embed_concurrency');
    };
    const onclose = vi.fn();
    render(SettingsDialog, { api, onclose });
    await waitFor(() => expect((screen.getByLabelText('Batches at once') as HTMLInputElement).disabled).toBe(false));
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/between 1 and 16/)).toBeTruthy();
    expect(onclose).not.toHaveBeenCalled();
  });
});
