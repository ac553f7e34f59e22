/** Display helpers of the web app: the viridis legend gradient and number formatting (palettes: src/rxrx1). */
import { VIRIDIS } from '../rxrx1/index.js';

export const VIRIDIS_GRADIENT = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return value.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}
