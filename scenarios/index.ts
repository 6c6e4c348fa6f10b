import type { Scenario } from './scenario.ts';

// Every scenario isobench knows. Each owner adds its entry.
export const scenarios: Scenario[] = [];
