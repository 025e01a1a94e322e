/** Records per stream, page size and batch size of the crash test, shared by the test and its child. */
export const crashScenario = {
  streams: ['events/page', 'alerts/dlp'],
  total: 3_000,
  pageSize: 50,
  maxBatchItems: 10,
} as const;
