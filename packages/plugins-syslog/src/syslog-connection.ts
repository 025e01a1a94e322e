import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { CeError, type Clock } from '@ce/core';
import type { ResolvedSyslogConfig } from './syslog-config.js';

// Verification failures a retry cannot fix (OpenSSL X509_V_ERR names and Node's own).
const certificateErrors = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Maps a socket or TLS error to a typed error: a certificate that does not verify, or a TLS alert
 * from the peer (it refused our certificate or our protocol version), is `TLS_FAILED` and not
 * retryable; anything else (refused, reset, DNS, timeout) is `NETWORK_FAILED` and retryable.
 */
export function toSyslogError(error: unknown, target: string, doing: string): CeError {
  if (CeError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const codeText = typeof code === 'string' ? code : undefined;
  const text = error instanceof Error ? error.message : String(error);
  const details = { target, ...(codeText ? { errorCode: codeText } : {}) };
  if (
    codeText &&
    (certificateErrors.has(codeText) ||
      /^ERR_SSL_.*(ALERT|CERTIFICATE|UNSUPPORTED_PROTOCOL|WRONG_VERSION|NO_PROTOCOLS)/.test(codeText))
  )
    return new CeError('TLS_FAILED', `TLS with syslog receiver ${target} failed while ${doing}: ${text}`, {
      cause: error,
      details,
    });
  if (codeText?.startsWith('ERR_OSSL') || codeText === 'ERR_INVALID_ARG_TYPE')
    return new CeError('CONFIG_INVALID', `the TLS settings for ${target} are not usable: ${text}`, {
      cause: error,
      details,
    });
  return new CeError('NETWORK_FAILED', `syslog receiver ${target} failed while ${doing}: ${text}`, {
    cause: error,
    details,
  });
}

/** The wait before reconnect attempt `attempt` (1-based): doubling from `initialMs` up to `maxMs`, half of it jittered. */
export function reconnectDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  // Equal jitter: never less than half the ceiling, so a fleet of senders spreads out without
  // hammering a receiver that just came back.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function abortError(signal: AbortSignal, doing: string): CeError {
  return new CeError('ABORTED', `${doing} was aborted`, { cause: signal.reason });
}

/** Opens a TCP or TLS connection, resolving once it is ready to write (TLS: after the handshake). */
export function openStream(config: ResolvedSyslogConfig, clock: Clock, signal: AbortSignal): Promise<Socket> {
  const target = `${config.host}:${config.port}`;
  if (signal.aborted) return Promise.reject(abortError(signal, `connecting to ${target}`));
  return new Promise<Socket>((resolve, reject) => {
    let socket: Socket;
    try {
      const tls = config.tls;
      socket = tls
        ? tlsConnect({
            host: config.host,
            port: config.port,
            // SNI carries names only; for an address Node checks the IP SANs against `host`.
            ...(tls.servername
              ? { servername: tls.servername }
              : isIP(config.host)
                ? {}
                : { servername: config.host }),
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
            rejectUnauthorized: tls.rejectUnauthorized,
            minVersion: tls.minVersion,
          })
        : netConnect({ host: config.host, port: config.port });
    } catch (error) {
      reject(toSyslogError(error, target, 'connecting'));
      return;
    }
    const cleanups: Array<() => void> = [];
    let settled = false;
    const done = (error?: CeError): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      for (const cleanup of cleanups) cleanup();
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off(config.tls ? 'secureConnect' : 'connect', onReady);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(socket);
    };
    const onReady = (): void => {
      const wait = config.tls?.acceptanceWaitMs ?? 0;
      if (!(socket instanceof TLSSocket) || socket.getProtocol() !== 'TLSv1.3' || wait === 0) {
        done();
        return;
      }
      // The receiver accepted us once it sends a ticket; a refusal arrives as an alert ('error').
      const cancelWait = clock.setTimer(wait, () => done());
      const accepted = (): void => {
        cancelWait();
        // 'session' fires from inside OpenSSL's read: a write made before it returns garbles the
        // record stream ("bad record mac" at the receiver), so the first write waits a turn.
        setImmediate(() => done());
      };
      const hungUp = (): void => {
        cancelWait();
        done(
          new CeError(
            'TLS_FAILED',
            `syslog receiver ${target} closed the connection right after the TLS handshake`,
            {
              details: { target },
            },
          ),
        );
      };
      socket.once('session', accepted);
      socket.once('close', hungUp);
      cleanups.push(() => {
        cancelWait();
        socket.off('session', accepted);
        socket.off('close', hungUp);
      });
      socket.resume();
    };
    const onError = (error: Error): void => done(toSyslogError(error, target, 'connecting'));
    const onAbort = (): void => done(abortError(signal, `connecting to ${target}`));
    const cancelTimer = clock.setTimer(config.connectTimeoutMs, () =>
      done(
        new CeError(
          'NETWORK_FAILED',
          `connecting to syslog receiver ${target} timed out after ${config.connectTimeoutMs} ms`,
          {
            details: { target },
          },
        ),
      ),
    );
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(config.tls ? 'secureConnect' : 'connect', onReady);
  });
}

/** Opens a UDP socket connected to the receiver, so ICMP "port unreachable" surfaces as an error. */
export async function openDatagram(
  config: ResolvedSyslogConfig,
  signal: AbortSignal,
): Promise<DatagramSocket> {
  const target = `${config.host}:${config.port}`;
  if (signal.aborted) throw abortError(signal, `connecting to ${target}`);
  let address: { address: string; family: number };
  try {
    address = await lookup(config.host);
  } catch (error) {
    throw toSyslogError(error, target, 'resolving its name');
  }
  const socket = createSocket(address.family === 6 ? 'udp6' : 'udp4');
  return new Promise<DatagramSocket>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(toSyslogError(error, target, 'connecting'));
    };
    socket.once('error', onError);
    socket.connect(config.port, address.address, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
