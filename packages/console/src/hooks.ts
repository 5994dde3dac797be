/** What the sections share. */
import { useEffect } from "preact/hooks";

export /** Calls `load` now and every `ms` while the section is shown. */
function usePoll(load: () => Promise<void> | void, ms: number, deps: unknown[] = []) {
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      await load();
      if (!stopped) timer = setTimeout(tick, ms);
    };
    let timer = setTimeout(tick, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}
