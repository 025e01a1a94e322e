import type { IndicatorQuery, IocStore, StoredIndicator } from '@ce/core';

/**
 * Walks every indicator matching `filter`, one page at a time, in (type, value) order. Writing
 * the indicators of a page while walking is safe: the cursor is a position in that order.
 */
export async function* scanIndicators(
  store: IocStore,
  filter: IndicatorQuery,
  pageSize = 10_000,
): AsyncGenerator<StoredIndicator[]> {
  let cursor: string | undefined;
  do {
    const page = await store.query(filter, { limit: pageSize, ...(cursor ? { cursor } : {}) });
    if (page.items.length > 0) yield page.items;
    cursor = page.nextCursor;
  } while (cursor);
}
