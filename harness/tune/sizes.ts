// Byte sizes on the command line: 64K, 256KiB, 4M, 1G, or plain bytes (binary units).
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not a size like 64K, 4M or 1048576`);
  const bytes = Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
  if (!(bytes > 0)) throw new Error(`size "${raw}" must be above 0`);
  return bytes;
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)}M`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return `${bytes}`;
}

/** 64 KiB … 64 MiB in ×4 steps: 64K 256K 1M 4M 16M 64M */
export const DEFAULT_THRESHOLDS_BYTES: readonly number[] = [64, 256, 1024, 4096, 16384, 65536].map((k) => k * 1024);

export function parseSizeList(raw: string, what: string): number[] {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`${what}: give at least one size`);
  const sizes = parts.map((p) => {
    try {
      return parseSize(p);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function parseCountList(raw: string, what: string, max: number): number[] {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`${what}: give at least one number`);
  const counts = parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > max) throw new Error(`${what}: "${p}" is not a whole number from 1 to ${max}`);
    return Number(p);
  });
  return [...new Set(counts)].sort((a, b) => a - b);
}
