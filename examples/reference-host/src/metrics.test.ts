import { createCloudExchange, createMemoryStorage } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { createHostMetrics, escapeLabelValue } from './metrics.js';

describe('escapeLabelValue', () => {
  it('escapes backslash, double quote and line feed, nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });
});

describe('createHostMetrics', () => {
  it('counts plugin calls from events and renders cumulative histogram buckets', async () => {
    const exchange = await createCloudExchange({ storage: createMemoryStorage(), checkIntervalMs: 0 });
    await exchange.start();
    const metrics = createHostMetrics(exchange);
    try {
      const call = { pluginId: 'p', configId: 'odd "id"\n\\', operation: 'check' } as const;
      exchange.events.emit('plugin-call-finished', { ...call, outcome: 'succeeded', durationMs: 40 });
      exchange.events.emit('plugin-call-finished', { ...call, outcome: 'succeeded', durationMs: 700 });
      exchange.events.emit('plugin-call-finished', {
        ...call,
        outcome: 'failed',
        durationMs: 3,
        error: { code: 'TIMEOUT', message: 'late', retryable: true },
      });
      const text = await metrics.render();
      expect(text).toContain(
        'ce_plugin_calls_total{plugin="p",config="odd \\"id\\"\\n\\\\",operation="check",outcome="succeeded"} 2\n',
      );
      expect(text).toContain('outcome="failed"} 1\n');
      expect(text).toContain(
        'ce_plugin_call_duration_seconds_bucket{plugin="p",operation="check",le="0.005"} 1\n',
      );
      expect(text).toContain(
        'ce_plugin_call_duration_seconds_bucket{plugin="p",operation="check",le="0.05"} 2\n',
      );
      expect(text).toContain(
        'ce_plugin_call_duration_seconds_bucket{plugin="p",operation="check",le="1"} 3\n',
      );
      expect(text).toContain(
        'ce_plugin_call_duration_seconds_bucket{plugin="p",operation="check",le="+Inf"} 3\n',
      );
      expect(text).toContain('ce_plugin_call_duration_seconds_sum{plugin="p",operation="check"} 0.743\n');
      expect(text).toContain('ce_plugin_call_duration_seconds_count{plugin="p",operation="check"} 3\n');
      expect(text).toContain('# TYPE ce_plugin_calls_total counter\n');
      expect(text).toContain('ce_up 1\n');

      metrics.dispose();
      exchange.events.emit('plugin-call-finished', { ...call, outcome: 'failed', durationMs: 1 });
      expect(await metrics.render()).toContain('outcome="failed"} 1\n');
    } finally {
      await exchange.stop();
    }
    expect(await metrics.render()).toContain('ce_up 0\n');
  });

  it('counts scheduler runs by task and outcome', async () => {
    const exchange = await createCloudExchange({ storage: createMemoryStorage(), checkIntervalMs: 0 });
    await exchange.start();
    const metrics = createHostMetrics(exchange);
    try {
      let fail = true;
      exchange.scheduler.every('demo-task', 3_600_000, async () => {
        if (fail) throw new Error('boom');
      });
      await exchange.scheduler.runNow('demo-task');
      fail = false;
      await exchange.scheduler.runNow('demo-task');
      const text = await metrics.render();
      expect(text).toContain('ce_scheduler_task_runs_total{task="demo-task",outcome="failed"} 1\n');
      expect(text).toContain('ce_scheduler_task_runs_total{task="demo-task",outcome="succeeded"} 1\n');
      expect(text).toContain('ce_scheduler_task_consecutive_failures{task="demo-task"} 0\n');
    } finally {
      metrics.dispose();
      await exchange.stop();
    }
  });
});
