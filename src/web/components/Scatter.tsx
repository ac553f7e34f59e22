import { type MouseEvent, type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import type { EmbeddingPoint } from '../../api/types.js';

interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function boundsOf(points: readonly EmbeddingPoint[]): Bounds {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    if (p.x < x0) x0 = p.x;
    if (p.x > x1) x1 = p.x;
    if (p.y < y0) y0 = p.y;
    if (p.y > y1) y1 = p.y;
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const padX = (x1 - x0 || 1) * 0.05;
  const padY = (y1 - y0 || 1) * 0.05;
  return { x0: x0 - padX, x1: x1 + padX, y0: y0 - padY, y1: y1 + padY };
}

export interface ScatterProps {
  points: readonly EmbeddingPoint[];
  colorOf: (point: EmbeddingPoint) => string;
  /** Well id to ring (hovered here or in a linked plot). */
  highlighted: string | null;
  /** Category key of points drawn on top, others faded; null for none. */
  focusKey: string | null;
  keyOf: (point: EmbeddingPoint) => string;
  label: string;
  xLabel: string;
  yLabel: string;
  onHover: (point: EmbeddingPoint | null, clientX: number, clientY: number) => void;
  onSelect: (point: EmbeddingPoint) => void;
}

const MARGIN = 28;

/** Sizes a canvas for the device pixel ratio and clears it; null when it is not mounted. */
function prepareCanvas(canvas: HTMLCanvasElement | null, size: Size): CanvasRenderingContext2D | null {
  const context = canvas?.getContext('2d');
  if (!canvas || !context) return null;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = size.width * dpr;
  canvas.height = size.height * dpr;
  context.setTransform(dpr, 0, 0, dpr, 0, 0);
  context.clearRect(0, 0, size.width, size.height);
  return context;
}

type Size = { width: number; height: number };
type Project = (p: EmbeddingPoint) => [number, number];

/** Data coordinates -> canvas pixels, inside the plot's margins. */
function projector(bounds: Bounds, size: Size): Project {
  return (p) => [
    MARGIN + ((p.x - bounds.x0) / (bounds.x1 - bounds.x0)) * (size.width - 2 * MARGIN),
    size.height - MARGIN - ((p.y - bounds.y0) / (bounds.y1 - bounds.y0)) * (size.height - 2 * MARGIN),
  ];
}

function drawFrame(context: CanvasRenderingContext2D, size: Size, xLabel: string, yLabel: string): void {
  context.strokeStyle = '#c9ced6';
  context.lineWidth = 1;
  context.strokeRect(MARGIN - 6.5, MARGIN - 6.5, size.width - 2 * MARGIN + 13, size.height - 2 * MARGIN + 13);
  context.fillStyle = '#5b6472';
  context.font = '11px system-ui, sans-serif';
  context.textAlign = 'center';
  context.fillText(xLabel, size.width / 2, size.height - 6);
  context.save();
  context.translate(11, size.height / 2);
  context.rotate(-Math.PI / 2);
  context.fillText(yLabel, 0, 0);
  context.restore();
}

interface PointStyle {
  colorOf: (point: EmbeddingPoint) => string;
  focusKey: string | null;
  keyOf: (point: EmbeddingPoint) => string;
}

/** The points, those outside the focused category faded underneath. */
function drawPoints(
  context: CanvasRenderingContext2D,
  points: readonly EmbeddingPoint[],
  project: Project,
  { colorOf, focusKey, keyOf }: PointStyle,
): void {
  const radius = points.length > 5000 ? 1.8 : points.length > 1000 ? 2.4 : 3.2;
  const draw = (faded: boolean) => {
    context.globalAlpha = faded ? 0.12 : 0.8;
    for (const p of points) {
      const inFocus = focusKey === null || keyOf(p) === focusKey;
      if (inFocus === faded) continue;
      const [sx, sy] = project(p);
      context.fillStyle = colorOf(p);
      context.beginPath();
      context.arc(sx, sy, radius, 0, Math.PI * 2);
      context.fill();
    }
  };
  if (focusKey !== null) draw(true);
  draw(false);
  context.globalAlpha = 1;
}

/** A black and white ring around each point of the highlighted well. */
function drawHighlight(
  context: CanvasRenderingContext2D,
  points: readonly EmbeddingPoint[],
  project: Project,
  wellId: string,
): void {
  for (const p of points) {
    if (p.wellId !== wellId) continue;
    const [sx, sy] = project(p);
    context.lineWidth = 2;
    context.strokeStyle = '#111';
    context.beginPath();
    context.arc(sx, sy, 7, 0, Math.PI * 2);
    context.stroke();
    context.strokeStyle = '#fff';
    context.lineWidth = 1;
    context.beginPath();
    context.arc(sx, sy, 8.5, 0, Math.PI * 2);
    context.stroke();
  }
}

/** The point nearest the mouse within 8 px (only points of the focused category), or null. */
function nearestPoint(
  event: MouseEvent<HTMLCanvasElement>,
  points: readonly EmbeddingPoint[],
  project: Project,
  { focusKey, keyOf }: Omit<PointStyle, 'colorOf'>,
): EmbeddingPoint | null {
  const rect = event.currentTarget.getBoundingClientRect();
  const mx = event.clientX - rect.left;
  const my = event.clientY - rect.top;
  let best: EmbeddingPoint | null = null;
  let bestDistance = 64; // within 8 px
  for (const p of points) {
    if (focusKey !== null && keyOf(p) !== focusKey) continue;
    const [sx, sy] = project(p);
    const d = (sx - mx) ** 2 + (sy - my) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = p;
    }
  }
  return best;
}

/** The plot's size: the container's width, a height of 85% of it up to 560 px. */
function useBoxSize(box: RefObject<HTMLDivElement | null>): Size {
  const [size, setSize] = useState({ width: 480, height: 400 });
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.max(240, Math.floor(entry.contentRect.width));
      setSize({ width, height: Math.round(Math.min(width * 0.85, 560)) });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [box]);
  return size;
}

/** A canvas scatter plot of thousands of points: one canvas for the points, one above it for the highlight. */
export function Scatter(props: ScatterProps) {
  const { points, colorOf, highlighted, focusKey, keyOf, label, xLabel, yLabel, onHover, onSelect } = props;
  const box = useRef<HTMLDivElement>(null);
  const base = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const size = useBoxSize(box);
  const bounds = useMemo(() => boundsOf(points), [points]);
  const project = useMemo(() => projector(bounds, size), [bounds, size]);

  useEffect(() => {
    const context = prepareCanvas(base.current, size);
    if (!context) return;
    drawFrame(context, size, xLabel, yLabel);
    drawPoints(context, points, project, { colorOf, focusKey, keyOf });
  }, [points, colorOf, project, size, focusKey, keyOf, xLabel, yLabel]);

  useEffect(() => {
    const context = prepareCanvas(overlay.current, size);
    if (context && highlighted) drawHighlight(context, points, project, highlighted);
  }, [highlighted, points, project, size]);

  const nearest = (event: MouseEvent<HTMLCanvasElement>) => nearestPoint(event, points, project, { focusKey, keyOf });
  // The overlay takes the mouse only: the points have no keyboard path (the plate view lists the same wells).
  return (
    <div className="scatter" ref={box} style={{ height: size.height }}>
      <canvas ref={base} style={{ width: size.width, height: size.height }} role="img" aria-label={label} />
      <canvas
        ref={overlay}
        className="scatter-overlay"
        style={{ width: size.width, height: size.height }}
        aria-hidden="true"
        tabIndex={-1}
        onMouseMove={(e) => {
          const p = nearest(e);
          e.currentTarget.style.cursor = p ? 'pointer' : 'crosshair';
          onHover(p, e.clientX, e.clientY);
        }}
        onMouseLeave={(e) => onHover(null, e.clientX, e.clientY)}
        onClick={(e) => {
          const p = nearest(e);
          if (p) onSelect(p);
        }}
      />
    </div>
  );
}
