// What the caller may do, so the UI offers only that. The server decides;
// this only hides controls that would be refused with 403.

import type { Collection, Me } from './types';

export interface CollectionAccess {
  /** Rescan, retry, pause/resume/cancel operations, the watch switch. */
  write: boolean;
  /** Rename, describe, share, reindex, remove a folder, delete. */
  admin: boolean;
  /** Add a folder (a path on the host): Quarry admins only. */
  addFolder: boolean;
}

/** A Quarry admin: users, sharing, audit, models, settings, new collections. Owner mode is one. */
export function isQuarryAdmin(me: Me | null | undefined): boolean {
  return !me || me.mode === 'owner' || !!me.user?.is_admin;
}

/**
 * The caller's rights on a collection: its `permission` (absent from owner
 * mode and older servers: everything), and for adding folders also the
 * Quarry admin role.
 */
export function collectionAccess(c: Pick<Collection, 'permission'>, quarryAdmin = true): CollectionAccess {
  const p = c.permission;
  const admin = p === undefined || p === 'admin';
  const write = admin || p === 'write';
  return { write, admin, addFolder: admin && quarryAdmin };
}

export const FULL_ACCESS: CollectionAccess = { write: true, admin: true, addFolder: true };

export function permissionLabel(p: string): string {
  switch (p) {
    case 'read':
      return 'Read';
    case 'write':
      return 'Write';
    case 'admin':
      return 'Admin';
    default:
      return p;
  }
}

/** What a permission allows, in a sentence. */
export function permissionHint(p: string): string {
  switch (p) {
    case 'read':
      return 'See, search and download documents.';
    case 'write':
      return 'Also rescan, retry and pause or cancel indexing.';
    case 'admin':
      return 'Also rename, reindex, remove folders, share and delete.';
    default:
      return '';
  }
}
