/** Writing outputs so that a killed run never leaves a half-written file under its final name. */
import fs from 'node:fs';
import { threadId } from 'node:worker_threads';

/** Writes `data` to a temporary name beside `file`, then renames it into place (atomic on one filesystem). */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.partial-${process.pid}-${threadId}`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}
