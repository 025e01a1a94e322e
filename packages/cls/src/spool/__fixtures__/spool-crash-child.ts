/**
 * The process the spool crash test kills: appends entries from four concurrent loops (so that
 * appends share fsyncs), prints `a <sequence> <n>` once an append resolved and `k <sequence>`
 * once an acknowledgement resolved, until it is killed.
 *
 * Usage: node --import tsx --conditions=@ce/source spool-crash-child.ts <directory> <always|never> <first n>
 */
import { openDiskSpool } from '../disk-spool.js';
import { crashPayload } from './crash-payload.js';

const [directory, fsync, first] = process.argv.slice(2);
const spool = await openDiskSpool({
  directory: directory as string,
  maxBytes: 1024 * 1024 * 1024,
  segmentBytes: 64 * 1024,
  fsync: fsync === 'never' ? 'never' : 'always',
});
process.stdout.write(`ready ${spool.nextSequence} ${spool.count}\n`);
let next = Number(first);

async function loop(): Promise<void> {
  for (;;) {
    const n = next++;
    const sequence = await spool.append(crashPayload(n));
    process.stdout.write(`a ${sequence} ${n}\n`);
    // Acknowledge in steps, well behind the head, so that the ack file and segment deletion are
    // exercised too when the kill comes.
    if (sequence % 40 === 0 && sequence > 100) {
      await spool.ack(sequence - 100);
      process.stdout.write(`k ${sequence - 100}\n`);
    }
  }
}

await Promise.all([loop(), loop(), loop(), loop()]);
