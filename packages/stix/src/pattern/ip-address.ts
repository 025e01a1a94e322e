// Address syntax checks without node:net, so the package stays usable outside Node.

function decimalIn(text: string, from: number, to: number, max: number): boolean {
  const length = to - from;
  if (length < 1 || length > 3) return false;
  if (length > 1 && text.charCodeAt(from) === 48) return false;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    value = value * 10 + (c - 48);
  }
  return value <= max;
}

function isIpv4Range(text: string, from: number, to: number): boolean {
  let partStart = from;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    if (i === to || text.charCodeAt(i) === 46) {
      if (!decimalIn(text, partStart, i, 255)) return false;
      parts++;
      partStart = i + 1;
    }
  }
  return parts === 4;
}

function isHexGroup(text: string, from: number, to: number): boolean {
  if (to - from < 1 || to - from > 4) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!hex) return false;
  }
  return true;
}

/** Counts 16-bit groups in `text[from, to)`, a `:`-separated run; -1 when malformed. */
function ipv6Groups(text: string, from: number, to: number, allowIpv4Tail: boolean): number {
  if (from === to) return 0;
  let groups = 0;
  let partStart = from;
  for (let i = from; i <= to; i++) {
    if (i === to || text.charCodeAt(i) === 58) {
      if (i === to && allowIpv4Tail && text.indexOf('.', partStart) >= 0) {
        if (!isIpv4Range(text, partStart, i)) return -1;
        groups += 2;
      } else {
        if (!isHexGroup(text, partStart, i)) return -1;
        groups++;
      }
      partStart = i + 1;
    }
  }
  return groups;
}

function isIpv6Range(text: string, from: number, to: number): boolean {
  const gap = text.indexOf('::', from);
  if (gap >= 0 && gap < to) {
    if (text.indexOf('::', gap + 1) >= 0 && text.indexOf('::', gap + 1) < to) return false;
    const head = ipv6Groups(text, from, gap, false);
    const tail = ipv6Groups(text, gap + 2, to, true);
    return head >= 0 && tail >= 0 && head + tail <= 7;
  }
  return ipv6Groups(text, from, to, true) === 8;
}

/** Splits off a `/prefix` and checks both halves. */
function withPrefix(
  text: string,
  maxPrefix: number,
  check: (text: string, from: number, to: number) => boolean,
): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return check(text, 0, text.length);
  return check(text, 0, slash) && decimalIn(text, slash + 1, text.length, maxPrefix);
}

/** True for a dotted-quad IPv4 address, optionally with a `/0`-`/32` prefix. */
export function isIpv4AddressOrCidr(text: string): boolean {
  return withPrefix(text, 32, isIpv4Range);
}

/** True for an IPv6 address (with `::` and an IPv4 tail allowed), optionally with `/0`-`/128`. */
export function isIpv6AddressOrCidr(text: string): boolean {
  return withPrefix(text, 128, isIpv6Range);
}
