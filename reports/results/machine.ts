// Facts about the machine a run happened on, as recorded in results.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { ResultsDocument } from './types.ts';

type Machine = ResultsDocument['machine'];

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const KVM_MODULES = ['kvm_pvm', 'kvm_intel', 'kvm_amd'];

function loadedKvmModule(): string | undefined {
  const modules = readText('/proc/modules')
    .split('\n')
    .map((line) => line.split(' ')[0]);
  return KVM_MODULES.find((m) => modules.includes(m) || existsSync(`/sys/module/${m}`));
}

export function machineFacts(): Machine {
  const cpuinfo = readText('/proc/cpuinfo');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const present = existsSync('/dev/kvm');
  const module = loadedKvmModule();
  // Running under a hypervisor means any KVM we offer is nested (in hardware or, with kvm_pvm, in software).
  const underHypervisor = flags.has('hypervisor');
  const hardwareVirt = flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : null;
  let note: string | undefined;
  if (module === 'kvm_pvm') note = 'kvm_pvm: KVM without hardware virtualization (PVM, shadow paging); exits cost far more than on hardware KVM';
  else if (present && !hardwareVirt) note = 'no vmx/svm CPU flag';
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    kvm: { present, ...(module ? { module } : {}), nested: present && underHypervisor, ...(note ? { note } : {}) },
  };
}
