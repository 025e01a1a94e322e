import { formatIpv4, formatIpv6, ipv6Mask } from './ip.js';

/**
 * IPv4 blocks as sorted, disjoint ranges in typed arrays: a lookup is one binary search (about 20
 * steps for a million blocks) and a block costs 9 bytes once built. CIDR blocks either nest or do
 * not touch, so keeping only the outermost of nested blocks loses no match; the entry reported is
 * that outermost block.
 */
export class Ipv4BlockSet {
  /** Every block added, as `network * 64 + prefix` (exact in a double), sorted once built. */
  private keys: Float64Array = new Float64Array(0);
  private pending: number[] = [];
  private removed: Set<number> | undefined;
  private starts: Uint32Array = new Uint32Array(0);
  private ends: Uint32Array = new Uint32Array(0);
  private prefixes: Uint8Array = new Uint8Array(0);
  private dirty = false;

  /** Number of distinct blocks held. */
  get size(): number {
    this.build();
    return this.keys.length;
  }

  add(network: number, prefix: number): void {
    this.pending.push(network * 64 + prefix);
    this.dirty = true;
  }

  /** Removes a block exactly as added; returns whether it was there. */
  delete(network: number, prefix: number): boolean {
    this.build();
    const key = network * 64 + prefix;
    if (binarySearch(this.keys, key) < 0) return false;
    this.removed ??= new Set();
    this.removed.add(key);
    this.dirty = true;
    return true;
  }

  /** Index of the range holding `ip`, or -1. */
  find(ip: number): number {
    if (this.dirty) this.build();
    const index = lastAtMost(this.starts, ip);
    return index >= 0 && ip <= (this.ends[index] as number) ? index : -1;
  }

  /** Index of the range holding the whole of `[start, end]`, or -1. */
  findContaining(start: number, end: number): number {
    const index = this.find(start);
    return index >= 0 && end <= (this.ends[index] as number) ? index : -1;
  }

  /** The block at a range index, as `a.b.c.d/n`. */
  entryAt(index: number): string {
    return `${formatIpv4(this.starts[index] as number)}/${this.prefixes[index]}`;
  }

  private build(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const merged = new Float64Array(this.keys.length + this.pending.length);
    merged.set(this.keys);
    merged.set(this.pending, this.keys.length);
    this.pending = [];
    merged.sort();
    // Drop duplicates and removed keys in place.
    let count = 0;
    for (let i = 0; i < merged.length; i++) {
      const key = merged[i] as number;
      if ((count > 0 && merged[count - 1] === key) || this.removed?.has(key)) continue;
      merged[count++] = key;
    }
    this.removed = undefined;
    this.keys = merged.slice(0, count);
    // Equal networks sort by prefix, shortest (largest block) first, so a nested block always
    // follows the block that holds it.
    const starts = new Uint32Array(count);
    const ends = new Uint32Array(count);
    const prefixes = new Uint8Array(count);
    let ranges = 0;
    let lastEnd = -1;
    for (let i = 0; i < count; i++) {
      const key = this.keys[i] as number;
      const prefix = key % 64;
      const start = (key - prefix) / 64;
      if (start <= lastEnd) continue;
      const end = start + 2 ** (32 - prefix) - 1;
      starts[ranges] = start;
      ends[ranges] = end;
      prefixes[ranges] = prefix;
      ranges++;
      lastEnd = end;
    }
    this.starts = starts.slice(0, ranges);
    this.ends = ends.slice(0, ranges);
    this.prefixes = prefixes.slice(0, ranges);
  }
}

function lastAtMost(sorted: Uint32Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) <= value) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

function binarySearch(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = sorted[middle] as number;
    if (at === value) return middle;
    if (at < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * A hash set of 128-bit values. V8 hashes a BigInt by its low 64 bits only, so a `Set<bigint>` of
 * network addresses (whose low bits are all zero) degrades into one long collision chain; here
 * each value is folded into a 53-bit number key first, and the rare true collisions share a bucket.
 */
class BigIntSet {
  private readonly buckets = new Map<number, bigint | bigint[]>();
  size = 0;

  private static key(value: bigint): number {
    return Number(BigInt.asUintN(53, value ^ (value >> 53n) ^ (value >> 106n)));
  }

  has(value: bigint): boolean {
    const bucket = this.buckets.get(BigIntSet.key(value));
    if (bucket === undefined) return false;
    return typeof bucket === 'bigint' ? bucket === value : bucket.includes(value);
  }

  add(value: bigint): boolean {
    const key = BigIntSet.key(value);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, value);
    else if (typeof bucket === 'bigint') {
      if (bucket === value) return false;
      this.buckets.set(key, [bucket, value]);
    } else {
      if (bucket.includes(value)) return false;
      bucket.push(value);
    }
    this.size++;
    return true;
  }

  delete(value: bigint): boolean {
    const key = BigIntSet.key(value);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return false;
    if (typeof bucket === 'bigint') {
      if (bucket !== value) return false;
      this.buckets.delete(key);
    } else {
      const at = bucket.indexOf(value);
      if (at < 0) return false;
      bucket.splice(at, 1);
      if (bucket.length === 1) this.buckets.set(key, bucket[0] as bigint);
    }
    this.size--;
    return true;
  }
}

/**
 * IPv6 blocks as one set of masked networks per prefix length present: a lookup masks the address
 * once per distinct length (at most 129, in practice a handful) and probes a hash set.
 */
export class Ipv6BlockSet {
  private readonly byPrefix = new Map<number, BigIntSet>();
  private lengths: Array<{ prefix: number; mask: bigint; networks: BigIntSet }> = [];
  private count = 0;

  /** Number of distinct blocks held. */
  get size(): number {
    return this.count;
  }

  add(network: bigint, prefix: number): void {
    let networks = this.byPrefix.get(prefix);
    if (!networks) {
      networks = new BigIntSet();
      this.byPrefix.set(prefix, networks);
      this.lengths.push({ prefix, mask: ipv6Mask(prefix), networks });
      this.lengths.sort((a, b) => a.prefix - b.prefix);
    }
    if (networks.add(network)) this.count++;
  }

  /** Removes a block exactly as added; returns whether it was there. */
  delete(network: bigint, prefix: number): boolean {
    const removed = this.byPrefix.get(prefix)?.delete(network) === true;
    if (removed) this.count--;
    return removed;
  }

  /** The outermost block holding `ip`, formatted, or `undefined`. */
  find(ip: bigint): string | undefined {
    return this.findContaining(ip, 128);
  }

  /** The outermost block holding the whole of `network/prefix`, formatted, or `undefined`. */
  findContaining(network: bigint, prefix: number): string | undefined {
    for (const length of this.lengths) {
      if (length.prefix > prefix) break;
      const masked = network & length.mask;
      if (length.networks.has(masked)) return `${formatIpv6(masked)}/${length.prefix}`;
    }
    return undefined;
  }
}
