// What a server process holds on the host, read from /proc: for tests that bound fd and memory growth.
import { readdirSync, readFileSync } from 'node:fs';

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

export const rssBytes = (pid: number): number => Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
