/** Option parsers shared by the commands: each returns a commander argParser that names the option when it fails. */
import { InvalidArgumentError } from 'commander';

/** An integer >= min. */
export function integer(name: string, min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${value}"`);
    return parsed;
  };
}

export const positiveInteger = (name: string) => integer(name, 1);

/** A finite number in [min, max]; `exclusiveMin` makes the lower bound strict (e.g. "> 0"). */
export function number(name: string, { min = -Infinity, max = Infinity, exclusiveMin = false } = {}) {
  const bounds = [min > -Infinity ? `${exclusiveMin ? '>' : '>='} ${min}` : '', max < Infinity ? `<= ${max}` : '']
    .filter(Boolean)
    .join(' and ');
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || (exclusiveMin && parsed === min) || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a number${bounds ? ` ${bounds}` : ''}, got "${value}"`);
    }
    return parsed;
  };
}

export const fraction = (name: string) => number(name, { min: 0, max: 1 });
export const positiveNumber = (name: string) => number(name, { min: 0, exclusiveMin: true });

/** Comma-separated values, trimmed, empty ones dropped. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A non-empty comma-separated list of values from `allowed`. */
export function listOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T[] => {
    const values = list(value);
    const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
    if (values.length === 0 || unknown.length > 0)
      throw new InvalidArgumentError(
        `expected a comma-separated list of ${allowed.join(', ')}` +
          (unknown.length ? `; unknown: ${unknown.join(', ')}` : ''),
      );
    return values as T[];
  };
}
