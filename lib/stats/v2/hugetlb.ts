/**
 * cgroup v2 hugetlb (fs2/hugetlb.go statHugeTlb), per page size in order: usage from `hugetlb.<size>.rsvd.current`
 * when it exists, else `hugetlb.<size>.current` (once an rsvd file is found missing, later sizes do not look for it);
 * Failcnt = the `max` key of `hugetlb.<size>.events`. A missing file ends the read without error (sizes read so far
 * are kept). MaxUsage is never set on v2, so CRI-O's Max is 0.
 */
import type { CgroupError } from '../../errors';
import { CONTROLLERS } from '../types';
import { defineReader } from '../controller';
import type { FileSet } from '../row';
import type { U64 } from '../raw';

export const hugetlb = defineReader({
  name: 'hugetlb',
  wants: (ctx) => (ctx.mask & CONTROLLERS.hugetlb) !== 0,
  files: (ctx) => {
    const files: FileSet = {};
    for (const size of ctx.hugePageSizes) {
      files[`${size}.rsvd`] = { controller: 'hugetlb', name: `hugetlb.${size}.rsvd.current`, format: 'single' };
      files[`${size}.current`] = { controller: 'hugetlb', name: `hugetlb.${size}.current`, format: 'single' };
      files[`${size}.events`] = {
        controller: 'hugetlb',
        name: `hugetlb.${size}.events`,
        format: 'keyLookup',
        keys: ['max'],
      };
    }
    return files;
  },
  read(f, raw, ctx) {
    let rsvd = true;
    const done = (errs: CgroupError[] = []): CgroupError[] => {
      if (raw.hugetlb.size === 0) raw.absent.add('hugetlb');
      for (const size of raw.hugetlb.keys()) raw.absent.add(`hugetlb.${size}.max`);
      return errs;
    };
    for (const size of ctx.hugePageSizes) {
      let usage: U64;
      if (rsvd && f.ok(`${size}.rsvd`)) {
        usage = f.value(`${size}.rsvd`)!;
      } else {
        if (rsvd && !f.missing(`${size}.rsvd`)) return done([f.error(`${size}.rsvd`)!]);
        rsvd = false;
        if (f.missing(`${size}.current`)) return done();
        if (!f.ok(`${size}.current`)) return done([f.error(`${size}.current`)!]);
        usage = f.value(`${size}.current`)!;
      }
      if (f.missing(`${size}.events`)) return done();
      if (!f.ok(`${size}.events`)) return done([f.error(`${size}.events`)!]);
      raw.hugetlb.set(size, { usage, maxUsage: 0, failcnt: f.value(`${size}.events`) ?? 0 });
    }
    return done();
  },
  skip: (raw) => raw.absent.add('hugetlb'),
});
