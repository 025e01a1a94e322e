import { CeError, type IndicatorReportInput } from '@ce/core';
import type { FeedConfig } from './feed-config.js';
import { cleanTags, createFieldMapper, type MappingSettings, type RecordMapper } from './feed-mapping.js';
import { feedPresets } from './feed-presets.js';
import type { FeedParser } from './feed-reader.js';

const defaultCommentPrefixes = { lines: ['#', '//', ';'], csv: ['#'], json: [], jsonl: [] } as const;

/**
 * Builds the parser of a configuration: the preset's format and mapper (or the configured format
 * and `fields`), with the configuration's own settings laid over them.
 */
export function createFeedParser(config: FeedConfig): FeedParser {
  const preset = config.preset ? feedPresets[config.preset] : undefined;
  const format = config.format ?? preset?.format ?? 'lines';
  const settings: MappingSettings = {
    nullValues: new Set(config.nullValues.map((value) => value.trim().toLowerCase())),
    tagSeparator: config.tagSeparator,
    typeMap: config.typeMap ?? {},
  };
  const base: RecordMapper =
    preset && !config.fields
      ? preset.mapper(settings, config)
      : createFieldMapper(config.fields ?? { value: 'value', comment: 'comment' }, settings, config.type);
  return {
    format,
    commentPrefixes: config.commentPrefixes ?? preset?.commentPrefixes ?? defaultCommentPrefixes[format],
    delimiter: config.csv?.delimiter ?? ',',
    header: config.csv?.header ?? 'auto',
    ...(config.fields?.value !== undefined
      ? { valueColumn: config.fields.value }
      : preset?.valueColumn
        ? { valueColumn: preset.valueColumn }
        : {}),
    ...(preset?.header && !config.csv ? { header: preset.header } : {}),
    jsonRecords: config.json?.records ?? '',
    maxLineBytes: config.maxLineBytes,
    map: withOverrides(base, config),
  };
}

/** Lays the configuration's severity, reputation, confidence, TLP, type and tags over each indicator. */
function withOverrides(map: RecordMapper, config: FeedConfig): RecordMapper {
  const { severity, reputation, confidence, tlp, tags, type } = config;
  if (!severity && !reputation && confidence === undefined && !tlp && !tags?.length && !type) return map;
  return (record) => {
    const result = map(record);
    if (!Array.isArray(result)) return result;
    return (result as ReadonlyArray<IndicatorReportInput>).map((indicator) => ({
      ...indicator,
      ...(type ? { type } : {}),
      ...(severity ? { severity } : {}),
      ...(reputation ? { reputation } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
      ...(tlp ? { tlp } : {}),
      ...(tags?.length ? { tags: cleanTags([...(indicator.tags ?? []), ...tags]) } : {}),
    }));
  };
}

/** The feed's location: the configured URL, or the preset's public URL. */
export function feedLocation(config: FeedConfig): string {
  const location = config.url ?? (config.preset ? feedPresets[config.preset].url : undefined);
  if (!location) throw new CeError('CONFIG_INVALID', 'the feed configuration has no url and no preset');
  return location;
}
