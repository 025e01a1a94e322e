import { describe, expect, it } from 'vitest';
import { createEventBus } from './event-bus.js';

type Events = { 'ticket-created': { id: string }; 'ticket-closed': { id: string; reason: string } };

describe('event bus', () => {
  it('delivers typed payloads, unsubscribes and supports once', () => {
    const bus = createEventBus<Events>();
    const seen: string[] = [];
    const off = bus.on('ticket-created', (e) => seen.push(`created ${e.id}`));
    bus.once('ticket-closed', (e) => seen.push(`closed ${e.id} ${e.reason}`));
    bus.emit('ticket-created', { id: '1' });
    bus.emit('ticket-closed', { id: '1', reason: 'done' });
    bus.emit('ticket-closed', { id: '2', reason: 'again' });
    off();
    bus.emit('ticket-created', { id: '3' });
    expect(seen).toEqual(['created 1', 'closed 1 done']);
  });

  it('keeps delivering when a listener throws and reports the error', () => {
    const errors: Array<[unknown, string]> = [];
    const bus = createEventBus<Events>({ onListenerError: (error, name) => errors.push([error, name]) });
    const seen: string[] = [];
    bus.on('ticket-created', () => {
      throw new Error('listener bug');
    });
    bus.on('ticket-created', (e) => seen.push(e.id));
    bus.emit('ticket-created', { id: '7' });
    expect(seen).toEqual(['7']);
    expect(errors).toEqual([[new Error('listener bug'), 'ticket-created']]);
    bus.clear();
    bus.emit('ticket-created', { id: '8' });
    expect(seen).toEqual(['7']);
  });
});
