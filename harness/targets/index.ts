import type { Target } from './target.ts';

// Every target isobench knows, in the order results list them. Each owner adds its entry.
export const targets: Target[] = [];
