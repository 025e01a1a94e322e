import { Buffer } from 'node:buffer';

/** A location is `chunk * chunkSpan + offset`: one number, exact in a double. */
const chunkSpan = 2 ** 32;

/**
 * Variable-length byte strings in large shared buffers, outside the JavaScript heap. The memory
 * indicator store keeps a million records and values here as a few dozen 4 MB buffers instead of
 * millions of heap objects: the garbage collector never traces them, and they do not raise the
 * heap limit V8 derives from the live heap. Released bytes are garbage until {@link compact}
 * copies the live ones into fresh buffers; buffers left without live bytes are freed at once.
 */
export class ByteArena {
  private chunks: Array<Buffer | undefined> = [];
  private chunkLive: number[] = [];
  private chunkUsed: number[] = [];
  private current = -1;
  private fill: number;
  /** Bytes allocated and not released. */
  liveBytes = 0;
  /** Bytes released and not yet reclaimed. */
  garbageBytes = 0;

  constructor(private readonly chunkSize = 4 << 20) {
    this.fill = chunkSize;
  }

  /** Reserves `length` bytes and returns their location; a longer run than a chunk gets its own. */
  allocate(length: number): number {
    let chunk: number;
    let offset: number;
    if (length > this.chunkSize) {
      this.chunks.push(Buffer.allocUnsafe(length));
      this.chunkLive.push(0);
      this.chunkUsed.push(length);
      chunk = this.chunks.length - 1;
      offset = 0;
    } else {
      if (this.current < 0 || this.fill + length > this.chunkSize) {
        this.chunks.push(Buffer.allocUnsafe(this.chunkSize));
        this.chunkLive.push(0);
        this.chunkUsed.push(0);
        this.current = this.chunks.length - 1;
        this.fill = 0;
      }
      chunk = this.current;
      offset = this.fill;
      this.fill += length;
      this.chunkUsed[chunk] = this.fill;
    }
    this.chunkLive[chunk] = (this.chunkLive[chunk] as number) + length;
    this.liveBytes += length;
    return chunk * chunkSpan + offset;
  }

  /** Marks the bytes at `location` as garbage. */
  release(location: number, length: number): void {
    const chunk = Math.floor(location / chunkSpan);
    this.chunkLive[chunk] = (this.chunkLive[chunk] as number) - length;
    this.liveBytes -= length;
    this.garbageBytes += length;
  }

  /** The buffer holding `location`. */
  bufferAt(location: number): Buffer {
    return this.chunks[Math.floor(location / chunkSpan)] as Buffer;
  }

  /** The offset of `location` in its buffer. */
  offsetOf(location: number): number {
    return location % chunkSpan;
  }

  /** Stores a string as UTF-8; returns its location and byte length. */
  writeString(value: string): { location: number; length: number } {
    const length = Buffer.byteLength(value, 'utf8');
    const location = this.allocate(length);
    this.bufferAt(location).write(value, location % chunkSpan, length, 'utf8');
    return { location, length };
  }

  /** Reads back a string stored with {@link writeString}. */
  readString(location: number, length: number): string {
    const offset = location % chunkSpan;
    return this.bufferAt(location).toString('utf8', offset, offset + length);
  }

  /** Frees buffers left without live bytes; call when no copy into them is pending. */
  freeEmptyChunks(): void {
    for (let chunk = 0; chunk < this.chunks.length; chunk++) {
      if (this.chunkLive[chunk] === 0 && chunk !== this.current && this.chunks[chunk] !== undefined) {
        this.chunks[chunk] = undefined;
        this.garbageBytes -= this.chunkUsed[chunk] as number;
        this.chunkUsed[chunk] = 0;
      }
    }
  }

  /**
   * Once more than half of the bytes (and at least four chunks' worth) are garbage, copies the
   * live bytes into fresh buffers: `relocateAll` is called with a `move(location, length)` that
   * copies one run and returns its new location, and must move every live run exactly once.
   */
  compact(relocateAll: (move: (location: number, length: number) => number) => void): void {
    if (this.garbageBytes < 4 * this.chunkSize || this.garbageBytes < this.liveBytes) return;
    const old = this.chunks;
    this.chunks = [];
    this.chunkLive = [];
    this.chunkUsed = [];
    this.current = -1;
    this.fill = this.chunkSize;
    this.liveBytes = 0;
    this.garbageBytes = 0;
    relocateAll((from, length) => {
      const source = old[Math.floor(from / chunkSpan)] as Buffer;
      const offset = from % chunkSpan;
      const to = this.allocate(length);
      source.copy(this.bufferAt(to), to % chunkSpan, offset, offset + length);
      return to;
    });
  }
}
