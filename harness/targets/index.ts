import type { Target } from './target.ts';
import { nativeTarget } from './native.ts';
import { wasmSnapshotTarget, wasmTarget } from './wasm.ts';
import { kvmserverTarget } from './kvmserver.ts';
import { kvmTargets } from './kvm.ts';

// Every target isobench knows, in the order results list them. Each owner adds its entry
// (replacing its unavailableTarget placeholder).
export const targets: Target[] = [
  nativeTarget,
  ...kvmTargets,
  wasmTarget,
  wasmSnapshotTarget,
  kvmserverTarget,
];
