import type { Command } from './command.ts';
import { runCommand } from './run.ts';
import { listCommand } from './list.ts';
import { calibrateCommand } from './calibrate.ts';
import { gateCommand } from './gate.ts';
import { baselineCommand } from './baseline.ts';
import { tuneCommand } from './tune.ts';
import { claimsCommand } from './claims.ts';
import { reportCommand } from './report.ts';
import { microCommand } from './micro.ts';
import { isolationCommand } from './isolation.ts';
import { initCommand } from './init.ts';

// Each owner adds its command here (one import, one entry).
export const commands: Command[] = [runCommand, listCommand, calibrateCommand, gateCommand, baselineCommand, tuneCommand, claimsCommand, reportCommand, microCommand, isolationCommand, initCommand];
