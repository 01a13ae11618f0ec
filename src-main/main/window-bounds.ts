/**
 * Remembers the main window's size, position and maximised state in a small JSON file in userData.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowBounds {
  width: number;
  height: number;
  /** Absent when the saved position is no longer on any display (e.g. a monitor was unplugged). */
  x?: number;
  y?: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_BOUNDS: WindowBounds = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 900, height: 600 } as const;

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function overlaps(a: Rectangle, b: Rectangle): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Reads saved bounds; anything missing, unreadable or malformed yields the defaults, and a position that lies
 * on none of `workAreas` is dropped so the OS centres the window instead of opening it off-screen.
 */
export function readWindowBounds(file: string, workAreas: readonly Rectangle[]): WindowBounds {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { ...DEFAULT_WINDOW_BOUNDS };
  }
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_WINDOW_BOUNDS };
  const saved = raw as Partial<Record<keyof WindowBounds, unknown>>;
  if (!isFiniteNumber(saved.width) || !isFiniteNumber(saved.height)) return { ...DEFAULT_WINDOW_BOUNDS };

  const bounds: WindowBounds = {
    width: Math.max(MIN_WINDOW_SIZE.width, Math.round(saved.width)),
    height: Math.max(MIN_WINDOW_SIZE.height, Math.round(saved.height)),
    maximized: saved.maximized === true,
  };
  if (isFiniteNumber(saved.x) && isFiniteNumber(saved.y)) {
    const rect = { x: Math.round(saved.x), y: Math.round(saved.y), width: bounds.width, height: bounds.height };
    if (workAreas.some((area) => overlaps(rect, area))) {
      bounds.x = rect.x;
      bounds.y = rect.y;
    }
  }
  return bounds;
}

/** Writes atomically (temp file + rename) so a crash mid-write cannot leave a truncated file. */
export function writeWindowBounds(file: string, bounds: WindowBounds): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(bounds, null, 2)}\n`);
  fs.renameSync(temp, file);
}
