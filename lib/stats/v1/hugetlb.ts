/**
 * cgroup v1 hugetlb (fs/hugetlb.go GetStats): nothing when the cgroup has no hugetlb directory; per page size in
 * order, `hugetlb.<size>.rsvd.usage_in_bytes` when it exists (else `hugetlb.<size>.usage_in_bytes`; once an rsvd
 * file is missing later sizes do not look for it), then `.max_usage_in_bytes` with the same prefix; both required.
 * (`.failcnt`, required by the library but dropped by CRI-O, is not read.)
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS } from '../controller';
import type { FileSet } from '../row';

export const hugetlb = defineReader({
  name: 'hugetlb',
  wants: (ctx) => (ctx.mask & CONTROLLERS.hugetlb) !== 0,
  files: (ctx) => {
    const files: FileSet = {};
    for (const size of ctx.hugePageSizes) {
      for (const rsvd of ['.rsvd', '']) {
        files[`${size}${rsvd}.usage`] = {
          controller: 'hugetlb',
          name: `hugetlb.${size}${rsvd}.usage_in_bytes`,
          format: 'single',
        };
        files[`${size}${rsvd}.max`] = {
          controller: 'hugetlb',
          name: `hugetlb.${size}${rsvd}.max_usage_in_bytes`,
          format: 'single',
        };
      }
    }
    return files;
  },
  read(f, raw, ctx) {
    const sizes = ctx.hugePageSizes;
    if (sizes.length === 0 || f.noDir(`${sizes[0]}.usage`)) {
      raw.absent.add('hugetlb');
      return NO_ERRORS;
    }
    let rsvd = '.rsvd';
    for (const size of sizes) {
      if (rsvd !== '' && !f.ok(`${size}${rsvd}.usage`)) {
        if (!f.missing(`${size}${rsvd}.usage`)) return first(f.error(`${size}${rsvd}.usage`));
        rsvd = '';
      }
      for (const what of ['usage', 'max']) {
        if (!f.ok(`${size}${rsvd}.${what}`)) return first(f.requiredError(`${size}${rsvd}.${what}`));
      }
      raw.hugetlb.set(size, {
        usage: f.value(`${size}${rsvd}.usage`)!,
        maxUsage: f.value(`${size}${rsvd}.max`)!,
        failcnt: 0,
      });
    }
    return NO_ERRORS;
  },
  skip: (raw) => raw.absent.add('hugetlb'),
});
