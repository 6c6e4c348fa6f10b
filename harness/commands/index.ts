import type { Command } from './command.ts';

// Each owner adds its command here (one import, one entry).
export const commands: Command[] = [];
