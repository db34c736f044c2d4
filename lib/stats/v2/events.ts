/**
 * cgroup v2 memory.events (extra; the `memoryEvents` controller): low, high, max, oom, oom_kill, oom_group_kill, each
 * looked up as the library's GetValueByKey does (a key that is not there is 0). `oom_kill` is CRI-O's OOMKillCount.
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, staticFiles } from '../controller';
import { FIELDS, markAbsent } from '../raw';

const KEYS = ['low', 'high', 'max', 'oom', 'oom_kill', 'oom_group_kill'] as const;
const FIELD = ['low', 'high', 'max', 'oom', 'oomKill', 'oomGroupKill'] as const;

const FILES = staticFiles({
  events: { controller: 'memory', name: 'memory.events', format: 'keyLookup', keys: [...KEYS] },
});
const EVENTS = FILES.n.events;

export const events = defineReader({
  name: 'events',
  wants: (ctx) => (ctx.mask & CONTROLLERS.memoryEvents) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    raw.events = {};
    if (!f.ok(EVENTS)) {
      markAbsent(raw, 'memoryEvents', FIELDS.memoryEvents);
      return f.missing(EVENTS) ? [] : [f.error(EVENTS)!];
    }
    FIELD.forEach((field, i) => {
      const v = f.value(EVENTS, i);
      if (v === undefined) raw.absent.add(`memoryEvents.${field}`);
      raw.events![field] = v ?? 0;
    });
    return NO_ERRORS;
  },
  skip: () => undefined,
});
