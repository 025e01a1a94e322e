import type { Socket as DatagramSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import {
  CeError,
  type LogBatch,
  type LogDeliveryResult,
  type LogRejection,
  type LogSinkSession,
  type PluginContext,
} from '@ce/core';
import { type ResolvedSyslogConfig, resolveSyslogConfig, type SyslogConfig } from './syslog-config.js';
import { openDatagram, openStream, reconnectDelay, toSyslogError } from './syslog-connection.js';
import { createSyslogEncoder } from './syslog-message.js';

// Frames are gathered into writes of about this many UTF-16 units: few syscalls, bounded memory.
const chunkChars = 64 * 1024;
// Datagrams sent before waiting for the kernel to take them, so a receiver on the same host can drain.
const datagramWindow = 64;

/**
 * A connection to one syslog receiver. Deliveries run one at a time in call order; the socket is
 * opened on the first delivery and reopened after a failure, waiting an exponentially growing,
 * jittered delay between failed attempts.
 */
class SyslogSession implements LogSinkSession {
  private readonly config: ResolvedSyslogConfig;
  private readonly target: string;
  private readonly encode: ReturnType<typeof createSyslogEncoder>;
  private stream: Socket | undefined;
  private datagram: DatagramSocket | undefined;
  /** Set when the current socket failed outside a delivery (reset, peer closed). */
  private broken: Error | undefined;
  private failures = 0;
  private retryAt = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(private readonly context: PluginContext<SyslogConfig>) {
    this.config = resolveSyslogConfig(context.config);
    this.target = `${this.config.host}:${this.config.port}`;
    this.encode = createSyslogEncoder({ ...this.config, now: () => context.clock.now() });
  }

  deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
    if (this.closing) return Promise.reject(new CeError('ABORTED', 'the syslog session is closed'));
    const run = this.tail.then(() => this.deliverNow(batch, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.closing ??= this.tail.then(() => this.shutdown());
    return this.closing;
  }

  /** Encodes every record first, so a refused record never leaves a gap in a half-written batch. */
  private async deliverNow(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
    if (signal.aborted) throw new CeError('ABORTED', 'the delivery was aborted', { cause: signal.reason });
    const rejected: LogRejection[] = [];
    const frames: string[] = [];
    let truncated = 0;
    batch.items.forEach((item, index) => {
      const encoded = this.encode(item, batch.format);
      if (!encoded.ok) rejected.push({ index, reason: encoded.reason });
      else {
        frames.push(encoded.framed);
        if (encoded.truncated) truncated++;
      }
    });
    if (truncated > 0)
      this.context.logger.warn('syslog messages truncated to maxMessageBytes', {
        batch: batch.id,
        truncated,
        maxMessageBytes: this.config.maxMessageBytes,
      });
    if (frames.length > 0) {
      if (this.config.transport === 'udp') await this.sendDatagrams(frames, signal);
      else await this.writeStream(frames, signal);
    }
    return rejected.length > 0 ? { rejected } : {};
  }

  private async connected<T>(open: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const wait = this.retryAt - this.context.clock.now();
    if (this.failures > 0 && wait > 0) {
      try {
        await this.context.clock.sleep(wait, signal);
      } catch (error) {
        throw new CeError('ABORTED', 'the delivery was aborted', { cause: error });
      }
    }
    try {
      const opened = await open();
      if (this.failures > 0)
        this.context.logger.info('syslog receiver reconnected', {
          target: this.target,
          attempts: this.failures + 1,
        });
      this.failures = 0;
      return opened;
    } catch (error) {
      const typed = toSyslogError(error, this.target, 'connecting');
      if (typed.code !== 'ABORTED') {
        this.failures++;
        const delay = reconnectDelay(
          this.failures,
          this.config.reconnectInitialDelayMs,
          this.config.reconnectMaxDelayMs,
        );
        this.retryAt = this.context.clock.now() + delay;
        this.context.logger.warn('syslog receiver unreachable', {
          target: this.target,
          code: typed.code,
          attempt: this.failures,
          nextAttemptInMs: delay,
        });
      }
      throw typed;
    }
  }

  private async streamSocket(signal: AbortSignal): Promise<Socket> {
    // Let pending socket events (a FIN from a receiver that restarted) run before writing into it.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.stream && !this.broken && !this.stream.destroyed && this.stream.writable) return this.stream;
    this.dropStream();
    const socket = await this.connected(() => openStream(this.config, this.context.clock, signal), signal);
    socket.setKeepAlive(true, 60_000);
    socket.on('error', (error) => {
      this.broken ??= error;
    });
    // A syslog receiver never speaks; its FIN means it went away, and whatever it sends is dropped.
    socket.on('end', () => {
      this.broken ??= new Error('the receiver closed the connection');
    });
    socket.on('close', () => {
      this.broken ??= new Error('the connection closed');
    });
    socket.resume();
    this.stream = socket;
    this.broken = undefined;
    return socket;
  }

  private dropStream(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.broken = undefined;
  }

  /**
   * Writes the frames in chunks, waiting for `drain` whenever the socket's buffer is full, and
   * resolves once the last write's callback ran: the bytes are in the kernel's send buffer. A
   * failure part way through leaves a prefix of the batch delivered; the shipper retries the whole
   * batch, so those records arrive twice (at least once).
   */
  private async writeStream(frames: string[], signal: AbortSignal): Promise<void> {
    const socket = await this.streamSocket(signal);
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const onFailure = (error?: Error): void => {
      failure ??= error ?? this.broken ?? new Error('the connection closed');
      wake?.();
    };
    const onClose = (): void => onFailure();
    const onAbort = (): void =>
      onFailure(new CeError('ABORTED', 'the delivery was aborted', { cause: signal.reason }));
    socket.on('error', onFailure);
    socket.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let last: Promise<void> = Promise.resolve();
      let chunk = '';
      const write = async (text: string): Promise<void> => {
        if (failure) throw failure;
        let settle!: (error?: Error | null) => void;
        last = new Promise<void>((resolve, reject) => {
          settle = (error) => (error ? reject(error) : resolve());
        });
        last.catch(() => undefined);
        if (!socket.write(text, 'utf8', settle)) {
          let drained!: () => void;
          await new Promise<void>((resolve) => {
            drained = resolve;
            wake = resolve;
            socket.once('drain', resolve);
          });
          wake = undefined;
          socket.off('drain', drained);
        }
        if (failure) throw failure;
      };
      for (const frame of frames) {
        chunk += frame;
        if (chunk.length >= chunkChars) {
          await write(chunk);
          chunk = '';
        }
      }
      if (chunk !== '') await write(chunk);
      await Promise.race([
        last,
        new Promise<void>((_, reject) => {
          if (failure) reject(failure);
          wake = () => reject(failure);
        }),
      ]);
    } catch (error) {
      this.dropStream();
      throw CeError.isInstance(error) ? error : toSyslogError(error, this.target, 'writing a batch');
    } finally {
      socket.off('error', onFailure);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Sends one datagram per message (RFC 5426), waiting for the kernel every few datagrams. */
  private async sendDatagrams(frames: string[], signal: AbortSignal): Promise<void> {
    this.datagram ??= await this.connected(async () => {
      const socket = await openDatagram(this.config, signal);
      socket.on('error', (error) => {
        this.broken ??= error;
      });
      return socket;
    }, signal);
    const socket = this.datagram;
    try {
      for (let start = 0; start < frames.length; start += datagramWindow) {
        if (this.broken) throw this.broken;
        if (signal.aborted)
          throw new CeError('ABORTED', 'the delivery was aborted', { cause: signal.reason });
        const window = frames.slice(start, start + datagramWindow);
        await Promise.all(
          window.map(
            (frame) =>
              new Promise<void>((resolve, reject) => {
                socket.send(frame, (error) => (error ? reject(error) : resolve()));
              }),
          ),
        );
      }
    } catch (error) {
      this.datagram = undefined;
      this.broken = undefined;
      socket.close();
      throw CeError.isInstance(error) ? error : toSyslogError(error, this.target, 'sending a batch');
    }
  }

  /** Half-closes the stream (its buffered bytes go out first) and waits for the socket to close. */
  private async shutdown(): Promise<void> {
    const datagram = this.datagram;
    this.datagram = undefined;
    if (datagram) await new Promise<void>((resolve) => datagram.close(() => resolve()));
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const cancel = this.context.clock.setTimer(this.config.connectTimeoutMs, () => {
        stream.destroy();
        resolve();
      });
      stream.once('close', () => {
        cancel();
        resolve();
      });
      stream.end();
    });
  }
}

/** Opens a syslog session for the shipper; the first delivery connects. */
export async function openSyslogSession(context: PluginContext<SyslogConfig>): Promise<LogSinkSession> {
  return new SyslogSession(context);
}
