/** A sample of a rejected value and why. */
export interface RejectedSample {
  /** The value as received, cut to 200 characters. */
  value: string;
  /** Short machine-readable reason code (`invalid-ipv4`, `invalid-report`). */
  code: string;
  reason: string;
}

/** What an ingest did with a batch (or a whole pull). */
export interface IngestReport {
  sourceId: string;
  /** Reports received. */
  received: number;
  /** Indicators the store did not have before. */
  new: number;
  /** Indicators whose content changed (merged view, state or suppression). */
  updated: number;
  /** Indicators reported again with no change but last seen and hit counts. */
  unchanged: number;
  /** Reports that name an indicator already named earlier in the same batch. */
  duplicates: number;
  rejected: {
    count: number;
    /** Count per reason code. */
    byCode: Record<string, number>;
    /** Up to 20 examples. */
    samples: RejectedSample[];
  };
  suppressed: {
    count: number;
    /** Count per warninglist id. */
    byList: Record<string, number>;
  };
}

const maxSamples = 20;

/** An empty report for a source. */
export function emptyIngestReport(sourceId: string): IngestReport {
  return {
    sourceId,
    received: 0,
    new: 0,
    updated: 0,
    unchanged: 0,
    duplicates: 0,
    rejected: { count: 0, byCode: {}, samples: [] },
    suppressed: { count: 0, byList: {} },
  };
}

/** Records one rejected value in a report. */
export function recordRejection(report: IngestReport, value: unknown, code: string, reason: string): void {
  report.rejected.count++;
  report.rejected.byCode[code] = (report.rejected.byCode[code] ?? 0) + 1;
  if (report.rejected.samples.length < maxSamples) {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    report.rejected.samples.push({ value: text.slice(0, 200), code, reason });
  }
}

/** Adds the counts of `part` into `total` (for a pull of several batches). */
export function addIngestReport(total: IngestReport, part: IngestReport): void {
  total.received += part.received;
  total.new += part.new;
  total.updated += part.updated;
  total.unchanged += part.unchanged;
  total.duplicates += part.duplicates;
  total.rejected.count += part.rejected.count;
  for (const [code, count] of Object.entries(part.rejected.byCode)) {
    total.rejected.byCode[code] = (total.rejected.byCode[code] ?? 0) + count;
  }
  for (const sample of part.rejected.samples) {
    if (total.rejected.samples.length < maxSamples) total.rejected.samples.push(sample);
  }
  total.suppressed.count += part.suppressed.count;
  for (const [list, count] of Object.entries(part.suppressed.byList)) {
    total.suppressed.byList[list] = (total.suppressed.byList[list] ?? 0) + count;
  }
}
