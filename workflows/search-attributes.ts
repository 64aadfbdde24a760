// Search attributes that make Dash runs findable in the Temporal Web UI and through list queries.
// Keyword only: the dev server's SQLite visibility store has ten Keyword slots and few of the rest.
// Plain key objects (what defineSearchAttributeKey returns) keep this file free of non-workflow imports.
import type { SearchAttributeType } from '@temporalio/common';

export interface SearchAttributeKey<T extends SearchAttributeType> {
  name: string;
  type: T;
}

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const DashKind = keyword('DashKind');
export const DashStatus = keyword('DashStatus');
export const DashIntentId = keyword('DashIntentId');
export const DashRepo = keyword('DashRepo');
export const DashRole = keyword('DashRole');
export const DashRuntime = keyword('DashRuntime');

export const dashSearchAttributes = [DashKind, DashStatus, DashIntentId, DashRepo, DashRole, DashRuntime];
