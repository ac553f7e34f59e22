import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';

export interface View {
  scale: number;
  x: number;
  y: number;
}

const IDENTITY: View = { scale: 1, x: 0, y: 0 };
const MAX_SCALE = 32;

/** Keeps the content covering the viewport: no panning past the image's edges. */
function clamp(view: View, width: number, height: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(1, view.scale));
  return {
    scale,
    x: Math.min(0, Math.max(width - width * scale, view.x)),
    y: Math.min(0, Math.max(height - height * scale, view.y)),
  };
}

/**
 * A square viewport whose content zooms (wheel, +/- keys, buttons) about the cursor and pans (drag, arrow
 * keys) by a CSS transform; double-click or 0 resets. The content is laid out at the viewport's size.
 */
export function ZoomPan({ children, label, resetKey }: { children: ReactNode; label: string; resetKey?: string }) {
  const viewport = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>(IDENTITY);
  const drag = useRef<{ id: number; x: number; y: number; view: View } | null>(null);

  const zoomAt = useCallback((factor: number, px?: number, py?: number) => {
    const element = viewport.current;
    if (!element) return;
    const { width, height } = element.getBoundingClientRect();
    const cx = px ?? width / 2;
    const cy = py ?? height / 2;
    setView((v) => {
      const scale = Math.min(MAX_SCALE, Math.max(1, v.scale * factor));
      const k = scale / v.scale;
      return clamp({ scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k }, width, height);
    });
  }, []);

  useEffect(() => setView(IDENTITY), [resetKey]);

  // React's wheel listener is passive; the page must not scroll while zooming, so listen directly.
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      zoomAt(
        Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015)),
        event.clientX - rect.left,
        event.clientY - rect.top,
      );
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [zoomAt]);

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { id: event.pointerId, x: event.clientX, y: event.clientY, view };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start || start.id !== event.pointerId) return;
    const { width, height } = event.currentTarget.getBoundingClientRect();
    setView(
      clamp(
        {
          scale: start.view.scale,
          x: start.view.x + event.clientX - start.x,
          y: start.view.y + event.clientY - start.y,
        },
        width,
        height,
      ),
    );
  };
  const endDrag = () => {
    drag.current = null;
  };
  const pan = (dx: number, dy: number) => {
    const element = viewport.current;
    if (!element) return;
    const { width, height } = element.getBoundingClientRect();
    setView((v) => clamp({ ...v, x: v.x + dx, y: v.y + dy }, width, height));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = 40;
    const actions: Record<string, () => void> = {
      '+': () => zoomAt(1.25),
      '=': () => zoomAt(1.25),
      '-': () => zoomAt(0.8),
      '0': () => setView(IDENTITY),
      ArrowLeft: () => pan(step, 0),
      ArrowRight: () => pan(-step, 0),
      ArrowUp: () => pan(0, step),
      ArrowDown: () => pan(0, -step),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  return (
    <div className="zoom-container">
      <div
        ref={viewport}
        className={`zoom-viewport${view.scale > 1 ? ' zoomed' : ''}`}
        tabIndex={0}
        role="img"
        aria-label={`${label}. Zoom ${view.scale.toFixed(1)}x: wheel or +/- to zoom, drag or arrow keys to pan, 0 or double-click to reset.`}
        data-testid="zoom-viewport"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onDoubleClick={() => setView(IDENTITY)}
        onKeyDown={onKeyDown}
      >
        <div
          className={`zoom-content${view.scale >= 2 ? ' pixelated' : ''}`}
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
          data-testid="zoom-content"
        >
          {children}
        </div>
      </div>
      <div className="zoom-controls" role="group" aria-label="Zoom">
        <button type="button" onClick={() => zoomAt(0.8)} aria-label="Zoom out" disabled={view.scale <= 1}>
          −
        </button>
        <span className="mono zoom-level" aria-live="polite">
          {view.scale.toFixed(view.scale < 10 ? 2 : 1)}×
        </span>
        <button type="button" onClick={() => zoomAt(1.25)} aria-label="Zoom in" disabled={view.scale >= MAX_SCALE}>
          +
        </button>
        <button
          type="button"
          onClick={() => setView(IDENTITY)}
          disabled={view.scale === 1 && view.x === 0 && view.y === 0}
        >
          Reset view
        </button>
      </div>
    </div>
  );
}
