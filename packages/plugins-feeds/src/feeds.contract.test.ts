import { runThreatSourceContract } from '@ce/plugin-kit/testing';
import { describe } from 'vitest';
import { type FeedPresetId, feedPresetIds } from './feed-config.js';
import { feedFixturePaths, startFeedServer } from './feed-mock-server.js';
import { feedPlugin } from './feed-plugin.js';

// Every preset against its fixture, in batches of two so that a pull spans several batches and
// the resume test starts from a batch that is not the last.
for (const preset of feedPresetIds as readonly FeedPresetId[]) {
  describe(`preset ${preset}`, () => {
    runThreatSourceContract(feedPlugin, {
      setup: async () => {
        const server = await startFeedServer();
        return {
          config: { preset, url: server.feedUrl(feedFixturePaths[preset].path), batchSize: 2 },
          teardown: () => server.close(),
        };
      },
    });
  });
}

describe('a generic CSV feed, gzipped', () => {
  runThreatSourceContract(feedPlugin, {
    setup: async () => {
      const server = await startFeedServer({ presets: false });
      server.setFeed('/partner/export.csv', {
        body: 'indicator,kind,labels\n192.0.2.1,ipv4,c2\nbad.example,domain,"phishing,kit"\n',
        contentType: 'text/csv',
        contentEncoding: 'gzip',
      });
      return {
        config: {
          url: server.feedUrl('/partner/export.csv'),
          format: 'csv',
          fields: { value: 'indicator', type: 'kind', tags: 'labels' },
        },
        teardown: () => server.close(),
      };
    },
  });
});
