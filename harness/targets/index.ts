import type { Target } from './target.ts';
import { nativeTarget } from './native.ts';
import { unavailableTarget } from './unavailable.ts';
import { wasmTarget } from './wasm.ts';
import { kvmserverTarget } from './kvmserver.ts';

const engineNotBuilt = 'the KVM engine target is not built yet';

// Every target isobench knows, in the order results list them. Each owner adds its entry
// (replacing its unavailableTarget placeholder).
export const targets: Target[] = [
  nativeTarget,
  unavailableTarget('kvm-persist', 'KVM sandbox, never reset (sandbox overhead only)', engineNotBuilt, { expectsIsolation: false }),
  unavailableTarget('kvm-pages', 'KVM sandbox, restore dirtied pages after each request', engineNotBuilt),
  unavailableTarget('kvm-full', 'KVM sandbox, discard all request memory and page tables after each request', engineNotBuilt),
  unavailableTarget('kvm-hybrid', 'KVM sandbox, pages reset unless the request passed the memory threshold or faulted', engineNotBuilt),
  wasmTarget,
  kvmserverTarget,
];
