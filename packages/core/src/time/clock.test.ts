import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from './clock.js';

describe('FakeClock', () => {
  it('fires timers in due order as time advances', async () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
    const cancel = clock.setTimer(200, () => fired.push('cancelled'));
    cancel();
    await clock.advance(250);
    expect(fired).toEqual(['a@1100']);
    await clock.advance(100);
    expect(fired).toEqual(['a@1100', 'b@1300']);
    expect(clock.now()).toBe(1_350);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves sleeps and lets awaiting code schedule the next timer within one advance', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(30);
    await loop;
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('systemClock', () => {
  it('sleeps for real and honours an already aborted signal', async () => {
    const before = systemClock.now();
    await systemClock.sleep(5);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    await expect(systemClock.sleep(5, AbortSignal.abort())).rejects.toBeDefined();
  });
});
