// Transient messages at the bottom of the window. Errors stay until they
// are dismissed; other messages fade after a few seconds.

import { ApiError, toApiError } from './api';

export type ToastKind = 'error' | 'info' | 'success';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  code?: string;
}

export class Toasts {
  items: Toast[] = $state([]);
  #next = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly lifetimeMs = 4000) {}

  push(kind: ToastKind, message: string, code?: string): number {
    const id = this.#next++;
    this.items = [...this.items, { id, kind, message, code }].slice(-5);
    if (kind !== 'error' && this.lifetimeMs > 0) {
      this.#timers.set(
        id,
        setTimeout(() => this.dismiss(id), this.lifetimeMs),
      );
    }
    return id;
  }

  info(message: string): number {
    return this.push('info', message);
  }

  success(message: string): number {
    return this.push('success', message);
  }

  /** Shows any thrown value as the server's message and code. */
  error(e: unknown): number {
    const err: ApiError = toApiError(e);
    return this.push('error', err.message, err.code);
  }

  dismiss(id: number): void {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }
}
