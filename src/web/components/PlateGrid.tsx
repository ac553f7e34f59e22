/** The 16 x 24 plate: one button per used well, keyboard navigation, and a tooltip. */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { PlateValue, WellRecord } from '../../api/types.js';
import {
  isUsedPosition as isUsed,
  PLATE_COLUMNS,
  PLATE_ROWS,
  ROW_LETTERS,
  WELL_TYPE_LABELS,
  wellName,
  wellPosition,
} from '../../rxrx1/index.js';
import { categoryLabel, fieldLabel, type Scale } from './plateScale';

interface PlateGridProps {
  wells: Map<string, WellRecord>;
  /** False while the plate's wells load: no well is marked "no sites" yet. */
  wellsLoaded: boolean;
  values: Map<string, PlateValue>;
  scale: Scale;
  field: string;
  selected: string;
  highlight: string | null;
  onOpen: (well: string) => void;
}

interface Tip {
  well: string;
  x: number;
  y: number;
}

const MOVES: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

/** The used well a key moves to from `from` (rows B..O, columns 02..23), or null for a key that does not move. */
function wellAfterKey(from: string, key: string): string | null {
  const position = wellPosition(from);
  if (!position) return null;
  let { row, column } = position;
  if (MOVES[key]) {
    row = Math.min(14, Math.max(1, row + MOVES[key][0]));
    column = Math.min(22, Math.max(1, column + MOVES[key][1]));
  } else if (key === 'Home') column = 1;
  else if (key === 'End') column = 22;
  else return null;
  return wellName(row, column);
}

export function PlateGrid({ wells, wellsLoaded, values, scale, field, selected, highlight, onOpen }: PlateGridProps) {
  const [tip, setTip] = useState<Tip | null>(null);
  const [active, setActive] = useState(selected || 'B02');
  const gridRef = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    if (selected) setActive(selected);
  }, [selected]);

  const onKeyDown = (event: KeyboardEvent<HTMLFieldSetElement>) => {
    if (event.key === 'Escape') return setTip(null);
    const next = wellAfterKey(active, event.key);
    if (!next) return;
    event.preventDefault();
    setActive(next);
    gridRef.current?.querySelector<HTMLButtonElement>(`[data-well="${next}"]`)?.focus();
  };

  const rows = Array.from({ length: PLATE_ROWS }, (_, r) => r);
  const columns = Array.from({ length: PLATE_COLUMNS }, (_, c) => c);
  const valueAt = (name: string) => (values.has(name) ? values.get(name)! : null);
  return (
    <div className="plate-scroll">
      <fieldset
        className="plate-grid"
        ref={gridRef}
        data-wells-loaded={wellsLoaded}
        aria-label="384-well plate; arrow keys move between wells, Enter opens a well"
        onKeyDown={onKeyDown}
        onMouseLeave={() => setTip(null)}
      >
        <div className="plate-corner" aria-hidden="true" />
        {columns.map((c) => (
          <div key={`c${c}`} className="plate-label" aria-hidden="true">
            {String(c + 1).padStart(2, '0')}
          </div>
        ))}
        {rows.map((r) => [
          <div key={`r${r}`} className="plate-label" aria-hidden="true">
            {ROW_LETTERS[r]}
          </div>,
          ...columns.map((c) => {
            const name = wellName(r, c);
            if (!isUsed(r, c)) return <UnusedWell key={name} name={name} />;
            const value = valueAt(name);
            return (
              <WellButton
                key={name}
                name={name}
                record={wells.get(name)}
                wellsLoaded={wellsLoaded}
                value={value}
                color={scale.colorOf(value)}
                field={field}
                selected={name === selected}
                active={name === active}
                dimmed={highlight !== null && String(value) !== highlight}
                onOpen={() => {
                  setActive(name);
                  onOpen(name);
                }}
                onFocusWell={(focusTip) => {
                  setActive(name);
                  if (focusTip) setTip(focusTip);
                }}
                onTip={setTip}
              />
            );
          }),
        ])}
      </fieldset>
      {tip && <WellTooltip tip={tip} record={wells.get(tip.well)} value={valueAt(tip.well)} field={field} />}
    </div>
  );
}

function UnusedWell({ name }: { name: string }) {
  return (
    <div
      className="well unused"
      data-testid="well"
      data-used="false"
      data-well={name}
      title={`${name}: not used in RxRx1`}
      aria-hidden="true"
    />
  );
}

interface WellButtonProps {
  name: string;
  record: WellRecord | undefined;
  wellsLoaded: boolean;
  value: PlateValue;
  color: string | undefined;
  field: string;
  selected: boolean;
  active: boolean;
  dimmed: boolean;
  onOpen: () => void;
  /** Focus arrived; with the tooltip to show when it came from the keyboard. */
  onFocusWell: (tip: Tip | null) => void;
  onTip: (tip: Tip | null) => void;
}

function wellLabel(name: string, record: WellRecord | undefined, field: string, value: PlateValue): string {
  const what = record
    ? `, ${WELL_TYPE_LABELS[record.wellType] ?? record.wellType}${record.sirna ? `, ${record.sirna}` : ''}`
    : ', no sites';
  return `${name}${what}, ${fieldLabel(field)}: ${categoryLabel(field, value)}`;
}

function WellButton(props: WellButtonProps) {
  const { name, record, wellsLoaded, value, color, field, selected, active, dimmed } = props;
  const classes = [
    'well',
    record || !wellsLoaded ? '' : 'no-data',
    color ? '' : 'no-value',
    selected ? 'selected' : '',
    dimmed ? 'dimmed' : '',
  ];
  return (
    <button
      type="button"
      className={classes.filter(Boolean).join(' ')}
      style={color ? { backgroundColor: color } : undefined}
      data-testid="well"
      data-used="true"
      data-well={name}
      data-value={value === null ? '' : String(value)}
      tabIndex={active ? 0 : -1}
      aria-label={wellLabel(name, record, field, value)}
      aria-current={selected ? 'true' : undefined}
      onClick={props.onOpen}
      onMouseMove={(e) => props.onTip({ well: name, x: e.clientX, y: e.clientY })}
      onFocus={(e) => {
        const rect = e.currentTarget.getBoundingClientRect();
        const fromKeyboard = e.currentTarget.matches(':focus-visible');
        props.onFocusWell(fromKeyboard ? { well: name, x: rect.right, y: rect.bottom } : null);
      }}
      onBlur={() => props.onTip(null)}
    />
  );
}

function WellTooltip({
  tip,
  record,
  value,
  field,
}: {
  tip: Tip;
  record?: WellRecord;
  value: PlateValue;
  field: string;
}) {
  const left = Math.min(tip.x + 14, window.innerWidth - 250);
  const top = Math.min(tip.y + 14, window.innerHeight - 150);
  return (
    <div className="tooltip" role="tooltip" style={{ left, top }} data-testid="well-tooltip">
      <div className="tooltip-title">
        <span className="mono">{tip.well}</span>
        {record && <span className="muted"> {record.wellId}</span>}
      </div>
      {record ? (
        <dl>
          <dt>siRNA</dt>
          <dd>
            {record.sirna ?? '—'}
            {record.sirnaId !== null && <span className="muted"> (id {record.sirnaId})</span>}
          </dd>
          <dt>Well type</dt>
          <dd>{WELL_TYPE_LABELS[record.wellType] ?? record.wellType}</dd>
          {record.sirnaGroup !== null && record.sirnaGroup !== undefined && (
            <>
              <dt>Group</dt>
              <dd>{record.sirnaGroup}</dd>
            </>
          )}
          {!['well_type', 'sirna_id', 'sirna_group'].includes(field) && (
            <>
              <dt>{fieldLabel(field)}</dt>
              <dd className="mono">{categoryLabel(field, value)}</dd>
            </>
          )}
          <dt>Sites</dt>
          <dd>{record.sites.join(', ') || 'none'}</dd>
        </dl>
      ) : (
        <p className="muted">No sites in this dataset.</p>
      )}
    </div>
  );
}
