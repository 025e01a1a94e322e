/**
 * The payload of entry `n` in the spool crash test: its number, then filler whose length and
 * bytes follow from `n`, so that the test can check any entry it finds without a record of it.
 */
export function crashPayload(n: number): Buffer {
  // Mostly small, every ninth one large: a kill is more likely to land inside a long write.
  const size = n % 9 === 0 ? 100_000 + ((n * 7919) % 300_000) : 1 + ((n * 7919) % 6000);
  const payload = Buffer.alloc(size + 12);
  const head = `${n}|`;
  payload.write(head, 0, 'latin1');
  for (let i = head.length; i < payload.length; i++) payload[i] = (n * 31 + i * 17) & 0xff;
  return payload.subarray(0, head.length + size);
}

/** The entry number a payload written by {@link crashPayload} starts with. */
export function crashPayloadNumber(payload: Buffer): number {
  return Number(payload.subarray(0, payload.indexOf(0x7c)).toString('latin1'));
}
