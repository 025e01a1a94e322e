import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { runTicketStoreConformance } from '../testing/ticket-store-conformance.js';
import { createMemoryTicketStore } from './memory-ticket-store.js';

runTicketStoreConformance('memory', async () => ({ store: createMemoryTicketStore() }));

describe('the memory storage adapter', () => {
  it('offers a ticket store that waits for running transactions like its other stores', async () => {
    const storage = createMemoryStorage();
    await storage.init();
    const tickets = storage.tickets;
    expect(tickets).toBeDefined();
    let release: () => void = () => undefined;
    const held = storage.transaction(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    let answered = false;
    const count = tickets?.countTickets().then((value) => {
      answered = true;
      return value;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answered).toBe(false);
    release();
    await held;
    expect(await count).toBe(0);
  });
});
