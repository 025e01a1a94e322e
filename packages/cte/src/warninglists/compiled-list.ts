/**
 * A list compiled into lookup structures, one per kind of entry, and the per-lookup view of an
 * indicator (its host, address or block, parsed once however many lists are consulted).
 *
 * @module
 */
import type { IndicatorType } from '../normalize/indicator-types.js';
import { Ipv4BlockSet, Ipv6BlockSet } from './cidr-index.js';
import {
  canonicalExactEntry,
  canonicalHost,
  canonicalUrlPrefix,
  emailDomain,
  urlHost,
} from './entry-forms.js';
import { mappedIpv4, parseBlock, parseIpv4, parseIpv6 } from './ip.js';
import { compileRegexEntry, RegexMatcher } from './regex-matcher.js';
import { SubstringMatcher } from './substring-matcher.js';
import type { AllowlistEntry, WarninglistMatchType } from './warninglist.js';

/** An indicator taken apart once per lookup. */
export interface IndicatorProbe {
  type: IndicatorType;
  value: string;
  /** A host name to compare with host entries (never an IP literal). */
  host: string | undefined;
  /** An IPv4 address to look up, or -1 (IPv4-mapped IPv6 addresses land here too). */
  ipv4: number;
  ipv6: bigint | undefined;
  /** An IPv4 block, as first and last address; -1 when none. */
  block4Start: number;
  block4End: number;
  block6: { network: bigint; prefix: number } | undefined;
  /** Whether the address came from a URL's host rather than the value itself. */
  addressFromHost: boolean;
  /**
   * The host and its parent domains, most specific first, built on first use and shared by
   * every list: V8 caches a string's hash in the string, so later lists probe without rehashing.
   */
  suffixes: string[] | undefined;
}

/** Takes an already normalized indicator apart for matching. */
export function probeIndicator(type: IndicatorType, value: string): IndicatorProbe {
  const probe: IndicatorProbe = {
    type,
    value,
    host: undefined,
    ipv4: -1,
    ipv6: undefined,
    block4Start: -1,
    block4End: -1,
    block6: undefined,
    addressFromHost: false,
    suffixes: undefined,
  };
  switch (type) {
    case 'domain':
    case 'hostname':
      probe.host = canonicalHost(value);
      break;
    case 'email':
      probe.host = emailDomain(value);
      break;
    case 'url': {
      const host = urlHost(value);
      if (host === undefined) break;
      probe.addressFromHost = true;
      if (!setAddress(probe, host)) {
        probe.host = canonicalHost(host);
        probe.addressFromHost = false;
      }
      break;
    }
    case 'ipv4':
    case 'ipv6':
      setAddress(probe, value);
      break;
    case 'ipv4-cidr':
    case 'ipv6-cidr': {
      const block = parseBlock(value, false);
      if (typeof block === 'string') break;
      if (block.version === 4) {
        probe.block4Start = block.network;
        probe.block4End = block.network + 2 ** (32 - block.prefix) - 1;
      } else {
        probe.block6 = { network: block.network, prefix: block.prefix };
        const v4 = mappedIpv4(block.network);
        if (v4 >= 0 && block.prefix >= 96) {
          probe.block4Start = v4;
          probe.block4End = v4 + 2 ** (128 - block.prefix) - 1;
        }
      }
      break;
    }
    default:
      break;
  }
  return probe;
}

function setAddress(probe: IndicatorProbe, text: string): boolean {
  const v4 = parseIpv4(text);
  if (v4 >= 0) {
    probe.ipv4 = v4;
    return true;
  }
  if (!text.includes(':')) return false;
  const v6 = parseIpv6(text);
  if (v6 === undefined) return false;
  probe.ipv6 = v6;
  // An IPv4-mapped address is the IPv4 host seen through an IPv6 socket: IPv4 lists apply.
  probe.ipv4 = mappedIpv4(v6);
  return true;
}

/** URL prefixes grouped by length: a lookup probes one set per distinct length. */
class UrlPrefixSet {
  private readonly byLength = new Map<number, Set<string>>();
  private lengths: number[] = [];
  size = 0;

  add(prefix: string): boolean {
    let set = this.byLength.get(prefix.length);
    if (!set) {
      set = new Set();
      this.byLength.set(prefix.length, set);
      this.lengths = [...this.byLength.keys()].sort((a, b) => a - b);
    }
    if (set.has(prefix)) return false;
    set.add(prefix);
    this.size++;
    return true;
  }

  delete(prefix: string): boolean {
    const removed = this.byLength.get(prefix.length)?.delete(prefix) === true;
    if (removed) this.size--;
    return removed;
  }

  find(url: string): string | undefined {
    for (const length of this.lengths) {
      if (length > url.length) break;
      const candidate = url.slice(0, length);
      if (this.byLength.get(length)?.has(candidate)) return candidate;
    }
    return undefined;
  }
}

function suffixesOf(host: string): string[] {
  const out = [host];
  for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) out.push(host.slice(dot + 1));
  return out;
}

/**
 * Host entries, matched with their subdomains. Besides the set, it keeps a bitmask of the label
 * counts its entries have, so a lookup skips the parent domains no entry can equal (a list of
 * registrable domains never probes `com`, nor the full `a.b.c.example.com`): most probes of a
 * large set are cache misses, and this halves them.
 */
class HostSuffixSet {
  private readonly hosts = new Set<string>();
  private labelMask = 0;

  get size(): number {
    return this.hosts.size;
  }

  add(host: string): void {
    this.hosts.add(host);
    this.labelMask |= labelBit(host, 0);
  }

  delete(host: string): boolean {
    // The mask is left as is: a stale bit only costs a useless probe.
    return this.hosts.delete(host);
  }

  find(probe: IndicatorProbe, host: string): string | undefined {
    probe.suffixes ??= suffixesOf(host);
    const suffixes = probe.suffixes;
    const labels = suffixes.length;
    const mask = this.labelMask;
    for (let i = 0; i < labels; i++) {
      const count = labels - i;
      if ((mask & (count > 30 ? 0x80000000 : 1 << count)) === 0) continue;
      const candidate = suffixes[i] as string;
      if (this.hosts.has(candidate)) return candidate;
    }
    return undefined;
  }
}

function labelBit(host: string, from: number): number {
  let count = 1;
  for (let i = from; i < host.length; i++) if (host.charCodeAt(i) === 46) count++;
  return count > 30 ? 0x80000000 : 1 << count;
}

/** A hit inside one list. */
export interface ListHit {
  entry: string;
  matchedOn: 'value' | 'host';
}

/**
 * The lookup structures of one list. Buckets exist only when used, and are consulted cheapest
 * first: exact sets, host sets, address blocks, URL prefixes, substrings, regexes.
 */
export class CompiledList {
  private exact: Set<string> | undefined;
  private hostExact: Set<string> | undefined;
  private hostSuffix: HostSuffixSet | undefined;
  private ipv4: Ipv4BlockSet | undefined;
  private ipv6: Ipv6BlockSet | undefined;
  private urlPrefixes: UrlPrefixSet | undefined;
  private substrings: SubstringMatcher | undefined;
  private regexes: RegexMatcher | undefined;

  /** Entries held. */
  get size(): number {
    return (
      (this.exact?.size ?? 0) +
      (this.hostExact?.size ?? 0) +
      (this.hostSuffix?.size ?? 0) +
      (this.ipv4?.size ?? 0) +
      (this.ipv6?.size ?? 0) +
      (this.urlPrefixes?.size ?? 0) +
      (this.substrings?.size ?? 0) +
      (this.regexes?.size ?? 0)
    );
  }

  /**
   * Adds a warninglist entry of the given match type. Returns why it was refused, or `undefined`.
   * CIDR entries with host bits set are accepted with the bits cleared, as MISP does.
   */
  addWarninglistEntry(matchType: WarninglistMatchType, entry: string): string | undefined {
    switch (matchType) {
      case 'string':
        this.exact ??= new Set();
        this.exact.add(canonicalExactEntry(entry));
        return undefined;
      case 'hostname': {
        const host = canonicalHost(entry.trim());
        if (host === '') return 'a hostname entry must not be empty';
        this.hostSuffix ??= new HostSuffixSet();
        this.hostSuffix.add(host);
        return undefined;
      }
      case 'cidr':
        return this.addBlock(entry, false);
      case 'substring':
        this.substrings ??= new SubstringMatcher();
        this.substrings.add(entry);
        return undefined;
      case 'regex': {
        const compiled = compileRegexEntry(entry);
        if (typeof compiled === 'string') return compiled;
        this.regexes ??= new RegexMatcher();
        this.regexes.add(compiled);
        return undefined;
      }
    }
  }

  /** Removes a warninglist entry; returns whether it was there. */
  removeWarninglistEntry(matchType: WarninglistMatchType, entry: string): boolean {
    switch (matchType) {
      case 'string':
        return this.exact?.delete(canonicalExactEntry(entry)) === true;
      case 'hostname':
        return this.hostSuffix?.delete(canonicalHost(entry.trim())) === true;
      case 'cidr':
        return this.removeBlock(entry);
      case 'substring':
        return this.substrings?.delete(entry) === true;
      case 'regex':
        return this.regexes?.delete(entry) === true;
    }
  }

  /** Adds a typed allowlist entry. Returns why it was refused, or `undefined`. */
  addAllowlistEntry(entry: AllowlistEntry): string | undefined {
    const value = entry.value.trim();
    switch (entry.type) {
      case 'domain':
      case 'hostname': {
        const host = canonicalHost(value);
        if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host)) return `"${value}" is not a ${entry.type}`;
        if (entry.type === 'domain') {
          this.hostSuffix ??= new HostSuffixSet();
          this.hostSuffix.add(host);
        } else {
          this.hostExact ??= new Set();
          this.hostExact.add(host);
        }
        return undefined;
      }
      case 'ip':
        return this.addBlock(value, true);
      case 'hash':
        if (!/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(value))
          return `"${value}" is not an MD5, SHA-1 or SHA-256 hex digest`;
        this.exact ??= new Set();
        this.exact.add(value.toLowerCase());
        return undefined;
      case 'url-prefix':
        if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+/.test(value))
          return `"${value}" is not a URL prefix; expected scheme://host...`;
        this.urlPrefixes ??= new UrlPrefixSet();
        this.urlPrefixes.add(canonicalUrlPrefix(value));
        return undefined;
      case 'email': {
        const domain = emailDomain(value);
        if (value.lastIndexOf('@') < 1 || domain === undefined || /[\s/]/.test(value))
          return `"${value}" is not an e-mail address`;
        this.exact ??= new Set();
        this.exact.add(canonicalExactEntry(value));
        return undefined;
      }
    }
  }

  /** Removes a typed allowlist entry; returns whether it was there. */
  removeAllowlistEntry(entry: AllowlistEntry): boolean {
    const value = entry.value.trim();
    switch (entry.type) {
      case 'domain':
        return this.hostSuffix?.delete(canonicalHost(value)) === true;
      case 'hostname':
        return this.hostExact?.delete(canonicalHost(value)) === true;
      case 'ip':
        return this.removeBlock(value);
      case 'hash':
        return this.exact?.delete(value.toLowerCase()) === true;
      case 'url-prefix':
        return this.urlPrefixes?.delete(canonicalUrlPrefix(value)) === true;
      case 'email':
        return this.exact?.delete(canonicalExactEntry(value)) === true;
    }
  }

  private addBlock(text: string, strict: boolean): string | undefined {
    const block = parseBlock(text, strict);
    if (typeof block === 'string') return `"${text.trim()}": ${block}`;
    if (block.version === 4) {
      this.ipv4 ??= new Ipv4BlockSet();
      this.ipv4.add(block.network, block.prefix);
    } else {
      this.ipv6 ??= new Ipv6BlockSet();
      this.ipv6.add(block.network, block.prefix);
    }
    return undefined;
  }

  private removeBlock(text: string): boolean {
    const block = parseBlock(text, false);
    if (typeof block === 'string') return false;
    if (block.version === 4) return this.ipv4?.delete(block.network, block.prefix) === true;
    return this.ipv6?.delete(block.network, block.prefix) === true;
  }

  /** The first hit for an indicator, or `undefined`. */
  match(probe: IndicatorProbe): ListHit | undefined {
    if (this.exact?.has(probe.value)) return { entry: probe.value, matchedOn: 'value' };
    const host = probe.host;
    if (host !== undefined) {
      const onHost = host === probe.value ? 'value' : 'host';
      if (this.hostExact?.has(host)) return { entry: host, matchedOn: onHost };
      if (this.hostSuffix) {
        const suffix = this.hostSuffix.find(probe, host);
        if (suffix !== undefined) return { entry: suffix, matchedOn: onHost };
      }
    }
    const blockHit = this.matchAddress(probe);
    if (blockHit !== undefined)
      return { entry: blockHit, matchedOn: probe.addressFromHost ? 'host' : 'value' };
    if (this.urlPrefixes && probe.type === 'url') {
      const prefix = this.urlPrefixes.find(probe.value);
      if (prefix !== undefined) return { entry: prefix, matchedOn: 'value' };
    }
    const substring = this.substrings?.find(probe.value);
    if (substring !== undefined) return { entry: substring, matchedOn: 'value' };
    const regex = this.regexes?.find(probe.value);
    if (regex !== undefined) return { entry: regex, matchedOn: 'value' };
    return undefined;
  }

  private matchAddress(probe: IndicatorProbe): string | undefined {
    if (this.ipv4) {
      if (probe.ipv4 >= 0) {
        const index = this.ipv4.find(probe.ipv4);
        if (index >= 0) return this.ipv4.entryAt(index);
      } else if (probe.block4Start >= 0) {
        const index = this.ipv4.findContaining(probe.block4Start, probe.block4End);
        if (index >= 0) return this.ipv4.entryAt(index);
      }
    }
    if (this.ipv6) {
      if (probe.ipv6 !== undefined) return this.ipv6.find(probe.ipv6);
      if (probe.block6) return this.ipv6.findContaining(probe.block6.network, probe.block6.prefix);
    }
    return undefined;
  }
}
