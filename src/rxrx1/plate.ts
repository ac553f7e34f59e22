/**
 * 384-well plate geometry (16 rows A..P x 24 columns 01..24). RxRx1 uses only rows B..O x columns
 * 02..23: 308 wells, the outer ring is left empty.
 */
export const PLATE_ROWS = 16;
export const PLATE_COLUMNS = 24;
export const ROW_LETTERS = 'ABCDEFGHIJKLMNOP';
export const PLATES_PER_EXPERIMENT = 4;
export const SITES_PER_WELL = 2;
export const NEGATIVE_CONTROL_WELL = 'B02';

export function wellName(row: number, column: number): string {
  return `${ROW_LETTERS[row]}${String(column + 1).padStart(2, '0')}`;
}

/** Zero-based row and column of a well name such as "B02", or null when it is not a 384-well name. */
export function wellPosition(well: string): { row: number; column: number } | null {
  const match = /^([A-P])(\d{2})$/.exec(well);
  if (!match) return null;
  const column = Number(match[2]) - 1;
  if (column < 0 || column >= PLATE_COLUMNS) return null;
  return { row: ROW_LETTERS.indexOf(match[1]), column };
}

/** True for the zero-based positions of the 308 wells RxRx1 uses (rows B..O x columns 02..23). */
export function isUsedPosition(row: number, column: number): boolean {
  return row >= 1 && row <= 14 && column >= 1 && column <= 22;
}

/** True for the 308 wells RxRx1 uses (B..O x 02..23). */
export function isUsedWell(well: string): boolean {
  const position = wellPosition(well);
  return position !== null && isUsedPosition(position.row, position.column);
}

/** The 308 used wells in row-major order. */
export const USED_WELLS: readonly string[] = Array.from({ length: 14 * 22 }, (_, i) =>
  wellName(1 + Math.floor(i / 22), 1 + (i % 22)),
);

/** Distance in wells from the nearest edge of the used area (0 for the outermost used ring). */
export function edgeDistance(well: string): number {
  const position = wellPosition(well);
  if (!position) throw new Error(`well "${well}": expected a 384-well name like B02`);
  return Math.min(position.row - 1, 14 - position.row, position.column - 1, 22 - position.column);
}
