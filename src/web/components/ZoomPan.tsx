import {
  type KeyboardEvent,
  type PointerEvent,
  type ReactNode,
  type RefObject,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';

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

const PAN_STEP = 40;
/** What each key does: zoom by a factor, pan by a vector, or reset. */
const KEY_ACTIONS: Record<string, { zoom: number } | { pan: [number, number] } | 'reset'> = {
  '+': { zoom: 1.25 },
  '=': { zoom: 1.25 },
  '-': { zoom: 0.8 },
  '0': 'reset',
  ArrowLeft: { pan: [PAN_STEP, 0] },
  ArrowRight: { pan: [-PAN_STEP, 0] },
  ArrowUp: { pan: [0, PAN_STEP] },
  ArrowDown: { pan: [0, -PAN_STEP] },
};

/** The view of a viewport element and the ways to change it: zoom about a point, pan, drag, keys, reset. */
function useZoomPan(viewport: RefObject<HTMLButtonElement | null>, resetKey: string | undefined) {
  const [view, setView] = useState<View>(IDENTITY);
  // A new resetKey (another image) starts from the whole image again.
  const [viewKey, setViewKey] = useState(resetKey);
  if (viewKey !== resetKey) {
    setViewKey(resetKey);
    setView(IDENTITY);
  }
  const drag = useRef<{ id: number; x: number; y: number; view: View } | null>(null);

  const zoomAt = useCallback(
    (factor: number, px?: number, py?: number) => {
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
    },
    [viewport],
  );

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
  }, [viewport, zoomAt]);

  const pan = (dx: number, dy: number) => {
    const element = viewport.current;
    if (!element) return;
    const { width, height } = element.getBoundingClientRect();
    setView((v) => clamp({ ...v, x: v.x + dx, y: v.y + dy }, width, height));
  };
  const reset = () => setView(IDENTITY);
  const handlers = {
    onPointerDown: (event: PointerEvent<HTMLButtonElement>) => {
      if (event.button !== 0) return;
      event.currentTarget.setPointerCapture(event.pointerId);
      drag.current = { id: event.pointerId, x: event.clientX, y: event.clientY, view };
    },
    onPointerMove: (event: PointerEvent<HTMLButtonElement>) => {
      const start = drag.current;
      if (!start || start.id !== event.pointerId) return;
      const { width, height } = event.currentTarget.getBoundingClientRect();
      const moved = {
        ...start.view,
        x: start.view.x + event.clientX - start.x,
        y: start.view.y + event.clientY - start.y,
      };
      setView(clamp(moved, width, height));
    },
    onPointerUp: () => {
      drag.current = null;
    },
    onPointerCancel: () => {
      drag.current = null;
    },
    onDoubleClick: reset,
    onKeyDown: (event: KeyboardEvent<HTMLButtonElement>) => {
      const action = KEY_ACTIONS[event.key];
      if (!action) return;
      event.preventDefault();
      if (action === 'reset') reset();
      else if ('zoom' in action) zoomAt(action.zoom);
      else pan(...action.pan);
    },
  };
  return { view, zoomAt, reset, handlers };
}

/**
 * A square viewport whose content zooms (wheel, +/- keys, buttons) about the cursor and pans (drag, arrow
 * keys) by a CSS transform; double-click or 0 resets. The content is laid out at the viewport's size. The viewport
 * is a button: it takes the focus and the keys, and a screen reader reads its label with the instructions.
 */
export function ZoomPan({ children, label, resetKey }: { children: ReactNode; label: string; resetKey?: string }) {
  const viewport = useRef<HTMLButtonElement>(null);
  const { view, zoomAt, reset, handlers } = useZoomPan(viewport, resetKey);
  return (
    <div className="zoom-container">
      <button
        type="button"
        ref={viewport}
        className={`zoom-viewport${view.scale > 1 ? ' zoomed' : ''}`}
        aria-label={
          `${label}. Zoom ${view.scale.toFixed(1)}x: wheel or +/- to zoom, drag or arrow keys to pan, 0 or ` +
          `double-click to reset.`
        }
        data-testid="zoom-viewport"
        {...handlers}
      >
        <div
          className={`zoom-content${view.scale >= 2 ? ' pixelated' : ''}`}
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
          data-testid="zoom-content"
        >
          {children}
        </div>
      </button>
      <ZoomControls view={view} zoomAt={zoomAt} reset={reset} />
    </div>
  );
}

function ZoomControls({ view, zoomAt, reset }: { view: View; zoomAt: (factor: number) => void; reset: () => void }) {
  return (
    <fieldset className="zoom-controls" aria-label="Zoom">
      <button type="button" onClick={() => zoomAt(0.8)} aria-label="Zoom out" disabled={view.scale <= 1}>
        −
      </button>
      <span className="mono zoom-level" aria-live="polite">
        {view.scale.toFixed(view.scale < 10 ? 2 : 1)}×
      </span>
      <button type="button" onClick={() => zoomAt(1.25)} aria-label="Zoom in" disabled={view.scale >= MAX_SCALE}>
        +
      </button>
      <button type="button" onClick={reset} disabled={view.scale === 1 && view.x === 0 && view.y === 0}>
        Reset view
      </button>
    </fieldset>
  );
}
