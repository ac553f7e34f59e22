/** Building the output table of a correction step: the input's metadata with new feature columns. */
import { validateTable, type MetadataValue, type ProfileTable } from '../store/profiles.js';

/** A new table with `table`'s metadata (copied, so callers can edit either) and the given features. */
export function withFeatures(table: ProfileTable, features: string[], columns: Float32Array[]): ProfileTable {
  const metadata: Record<string, MetadataValue[]> = {};
  for (const [name, values] of Object.entries(table.metadata)) metadata[name] = values.slice();
  const out: ProfileTable = { rows: table.rows, metadata, features, columns };
  validateTable(out);
  return out;
}
