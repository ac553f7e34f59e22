/** The plate map's legend: categories to highlight, or the numeric scale. */
import { formatNumber, VIRIDIS_GRADIENT } from '../colors';
import { fieldLabel, type Scale } from './plateScale';

export function PlateLegend({
  field,
  scale,
  highlight,
  onHighlight,
  hasValues,
}: {
  field: string;
  scale: Scale;
  highlight: string | null;
  onHighlight: (key: string | null) => void;
  hasValues: boolean;
}) {
  const plateKey = (
    <span className="legend-key">
      <span className="legend-item static">
        <span className="swatch no-data" aria-hidden="true" /> no sites
      </span>
      <span className="legend-item static">
        <span className="swatch unused" aria-hidden="true" /> outer ring (not used)
      </span>
    </span>
  );
  if (!hasValues) return <div className="legend muted">No values to show.{plateKey}</div>;
  if (scale.kind === 'numeric') {
    return (
      <section className="legend" aria-label={`Colour scale for ${fieldLabel(field)}`} data-testid="legend">
        <span className="legend-title">{fieldLabel(field)}</span>
        <span className="mono">{formatNumber(scale.min)}</span>
        <span className="gradient" style={{ background: VIRIDIS_GRADIENT }} aria-hidden="true" />
        <span className="mono">{formatNumber(scale.max)}</span>
        {scale.missing > 0 && (
          <span className="legend-item">
            <span className="swatch no-value" aria-hidden="true" /> no value ({scale.missing})
          </span>
        )}
        {plateKey}
      </section>
    );
  }
  const shown =
    scale.categories.length > 16
      ? [...scale.categories].sort((a, b) => b.count - a.count).slice(0, 12)
      : scale.categories;
  return (
    <section className="legend" aria-label={`Legend for ${fieldLabel(field)}`} data-testid="legend">
      <span className="legend-title">{fieldLabel(field)}</span>
      {shown.map((c) => (
        <button
          type="button"
          key={c.key}
          className={`legend-item${highlight === c.key ? ' active' : ''}`}
          aria-pressed={highlight === c.key}
          title="Highlight these wells"
          onClick={() => onHighlight(highlight === c.key ? null : c.key)}
        >
          <span className="swatch" style={{ backgroundColor: c.color }} aria-hidden="true" />
          {c.label} <span className="muted">({c.count})</span>
        </button>
      ))}
      {shown.length < scale.categories.length && (
        <span className="muted">+ {scale.categories.length - shown.length} more values (one colour each)</span>
      )}
      {plateKey}
    </section>
  );
}
