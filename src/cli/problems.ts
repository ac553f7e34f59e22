/** How the commands tell what they left out: every metadata row dropped, one line each on stderr. */
import { formatMetadataProblem, type MetadataProblem } from '../data/metadata.js';

/** Prints each metadata row left out (file:line: kind: why) and a count to stderr; nothing when there is none. */
export function printMetadataProblems(problems: readonly MetadataProblem[], where: string): void {
  if (problems.length === 0) return;
  for (const problem of problems) process.stderr.write(`${formatMetadataProblem(problem)}\n`);
  process.stderr.write(`${problems.length} metadata row(s) left out (listed above and in ${where})\n`);
}
