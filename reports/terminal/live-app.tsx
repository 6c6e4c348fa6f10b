// Live view during a run; on a terminal with keyboard input it turns into the interactive table at the end.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { ProgressEvent } from '../../harness/progress.ts';
import { initialLiveState, reduceLive, type LiveState } from './live-state.ts';
import { LiveView } from './live-view.tsx';
import { ResultsView } from './results-view.tsx';

/** holds the folded ProgressEvents; React subscribes to it */
export class LiveStore {
  private state: LiveState;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: () => number = Date.now) {
    this.state = initialLiveState(clock());
  }

  dispatch = (event: ProgressEvent): void => {
    this.state = reduceLive(this.state, event, this.clock());
    for (const l of this.listeners) l();
  };

  getState = (): LiveState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  now(): number {
    return this.clock();
  }
}

export function LiveApp({ store, interactive, width, tickMs = 1000 }: { store: LiveStore; interactive: boolean; width: number; tickMs?: number }) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const [now, setNow] = useState(() => store.now());
  const { exit } = useApp();
  const finished = state.finished !== undefined;
  const [hint, setHint] = useState<string | undefined>();

  // Read the keyboard while the run measures, so a key pressed now is not left waiting for the
  // results table (a `q` would close it the moment it appears) and does not echo into the frame.
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') process.kill(process.pid, 'SIGINT'); // stops the run and its servers
      else setHint('the table opens when the run is done; Ctrl-C stops the run');
    },
    { isActive: interactive && !finished },
  );

  useEffect(() => {
    if (finished) return;
    const timer = setInterval(() => setNow(store.now()), tickMs);
    return () => clearInterval(timer);
  }, [finished, store, tickMs]);

  useEffect(() => {
    // without keyboard input there is nothing to wait for: leave the last live frame and end
    if (finished && !interactive) exit();
  }, [finished, interactive, exit]);

  if (state.finished && interactive) {
    return (
      <Box flexDirection="column">
        {state.finished.outFile && <Text wrap="truncate">{`results: ${state.finished.outFile}`}</Text>}
        {state.finished.reportLine && <Text wrap="truncate">{state.finished.reportLine}</Text>}
        <ResultsView doc={state.finished.results} width={width} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <LiveView state={state} now={finished ? store.now() : now} width={width} />
      {hint && !finished && <Text dimColor wrap="truncate">{hint}</Text>}
    </Box>
  );
}
