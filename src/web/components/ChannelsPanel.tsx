/** The site viewer's channel settings: contrast mode, and per channel on/off, colour, range and solo. */
import type { Dispatch, SetStateAction } from 'react';
import { type ChannelSetting, DEFAULT_SETTINGS, type DisplaySettings } from '../composite';
import { CHANNELS } from '../../rxrx1/index.js';

export interface ChannelsPanelProps {
  settings: DisplaySettings;
  setSettings: Dispatch<SetStateAction<DisplaySettings>>;
  /** The composite query of the settings: '' when they are the defaults. */
  query: string | null;
  missing: ReadonlySet<number>;
  solo: number | null;
  setSolo: (channel: number | null) => void;
}

export function ChannelsPanel({ settings, setSettings, query, missing, solo, setSolo }: ChannelsPanelProps) {
  const setChannel = (channel: number, change: Partial<ChannelSetting>) =>
    setSettings((s) => ({ ...s, channels: s.channels.map((c) => (c.channel === channel ? { ...c, ...change } : c)) }));
  return (
    <section className="panel channels-panel" aria-labelledby="channels-title">
      <header className="panel-header">
        <h2 id="channels-title">Channels</h2>
        <button type="button" onClick={() => setSettings(structuredClone(DEFAULT_SETTINGS))} disabled={query === ''}>
          Reset to defaults
        </button>
      </header>
      <ContrastFields settings={settings} setSettings={setSettings} />
      <ul className="channel-list">
        {settings.channels.map((c) => (
          <ChannelRow
            key={c.channel}
            setting={c}
            missing={missing.has(c.channel)}
            fixed={settings.contrast === 'fixed'}
            solo={solo === c.channel}
            onChange={(change) => setChannel(c.channel, change)}
            onSolo={() => setSolo(solo === c.channel ? null : c.channel)}
          />
        ))}
      </ul>
    </section>
  );
}

function ContrastFields({
  settings,
  setSettings,
}: {
  settings: DisplaySettings;
  setSettings: Dispatch<SetStateAction<DisplaySettings>>;
}) {
  return (
    <fieldset className="contrast">
      <legend>Contrast</legend>
      <label>
        <input
          type="radio"
          name="contrast"
          checked={settings.contrast === 'fixed'}
          onChange={() => setSettings((s) => ({ ...s, contrast: 'fixed' }))}
        />
        Fixed ranges
      </label>
      <label>
        <input
          type="radio"
          name="contrast"
          checked={settings.contrast === 'percentiles'}
          onChange={() => setSettings((s) => ({ ...s, contrast: 'percentiles' }))}
        />
        Per-image percentiles
      </label>
      {settings.contrast === 'percentiles' && (
        <span className="percentile-inputs">
          <label>
            low
            <input
              type="number"
              min={0}
              max={100}
              step={0.1}
              value={settings.percentiles[0]}
              onChange={(e) =>
                setSettings((s) => ({
                  ...s,
                  percentiles: [Math.min(Number(e.target.value), s.percentiles[1] - 0.1), s.percentiles[1]],
                }))
              }
            />
          </label>
          <label>
            high
            <input
              type="number"
              min={0}
              max={100}
              step={0.1}
              value={settings.percentiles[1]}
              onChange={(e) =>
                setSettings((s) => ({
                  ...s,
                  percentiles: [s.percentiles[0], Math.max(Number(e.target.value), s.percentiles[0] + 0.1)],
                }))
              }
            />
          </label>
        </span>
      )}
    </fieldset>
  );
}

function ChannelRow({
  setting,
  missing,
  fixed,
  solo,
  onChange,
  onSolo,
}: {
  setting: ChannelSetting;
  missing: boolean;
  fixed: boolean;
  solo: boolean;
  onChange: (change: Partial<ChannelSetting>) => void;
  onSolo: () => void;
}) {
  const info = CHANNELS[setting.channel - 1];
  const id = `channel-${setting.channel}`;
  return (
    <li className={`channel-row${setting.enabled && !missing ? '' : ' off'}`} data-testid={id}>
      <div className="channel-head">
        <label className="channel-toggle">
          <input
            type="checkbox"
            checked={setting.enabled && !missing}
            disabled={missing}
            onChange={(e) => onChange({ enabled: e.target.checked })}
            data-testid={`${id}-toggle`}
          />
          <span className="channel-name">
            w{setting.channel} {info.stain}
          </span>
          <span className="muted"> {info.target}</span>
        </label>
        {missing && (
          <span className="badge warning" title="This site has no image file for this channel">
            no image
          </span>
        )}
        <input
          type="color"
          value={setting.color}
          onChange={(e) => onChange({ color: e.target.value })}
          aria-label={`Colour of w${setting.channel} ${info.stain}`}
          disabled={!setting.enabled || missing}
        />
        <button
          type="button"
          className={`small${solo ? ' pressed' : ''}`}
          aria-pressed={solo}
          onClick={onSolo}
          disabled={missing}
          title="Show this channel alone, in grey levels"
        >
          Solo
        </button>
      </div>
      <div className="channel-range" aria-disabled={!fixed || !setting.enabled || missing}>
        <label htmlFor={`${id}-low`}>min</label>
        <input
          id={`${id}-low`}
          aria-label={`w${setting.channel} ${info.stain}: display range minimum`}
          type="range"
          min={0}
          max={254}
          value={setting.low}
          disabled={!fixed || !setting.enabled || missing}
          onChange={(e) => onChange({ low: Math.min(Number(e.target.value), setting.high - 1) })}
        />
        <label htmlFor={`${id}-high`}>max</label>
        <input
          id={`${id}-high`}
          aria-label={`w${setting.channel} ${info.stain}: display range maximum`}
          type="range"
          min={1}
          max={255}
          value={setting.high}
          disabled={!fixed || !setting.enabled || missing}
          onChange={(e) => onChange({ high: Math.max(Number(e.target.value), setting.low + 1) })}
        />
        <span className="mono range-value">{fixed ? `${setting.low}–${setting.high}` : 'auto'}</span>
      </div>
    </li>
  );
}
