/**
 * Which families and labels an exposition carries, for users who must cut cardinality: cAdvisor's
 * `--enable_metrics` / `--disable_metrics` by group (FAMILY_GROUPS) or by family name, and label allow/deny lists.
 * `id` and the family's own labels (`cpu`, `failure_type`, `scope`; `device`, `interface` of the vector families) are
 * always kept, so every series stays unique.
 */
import { invalidArg } from '../errors';
import { FAMILIES, FAMILY_GROUPS, familyName, type Family } from './families';

export interface Selection {
  /** Only these families (sample names); unknown names select nothing. Default all. */
  families?: readonly string[];
  /** Only these groups or families (sample names or OpenMetrics family names). */
  enable?: readonly string[];
  /** Not these groups or families. */
  disable?: readonly string[];
  /** Only these series labels (besides `id` and the family's own). */
  labelAllow?: readonly string[];
  /** Not these series labels (`id` cannot be denied). */
  labelDeny?: readonly string[];
}

function stringList(name: string, v: unknown): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw invalidArg(name, v, 'must be an array of strings');
  return v;
}

/** Whether a group or family name names f. */
function names(item: string, f: Family): boolean {
  return item === f.group || item === f.name || item === familyName(f);
}

/** The families a selection keeps, in exposition order. Unknown names in enable/disable are an error. */
export function selectFamilies(sel: Selection = {}): Family[] {
  const only = stringList('families', sel.families);
  const enable = stringList('enable', sel.enable);
  const disable = stringList('disable', sel.disable);
  for (const [what, list] of [
    ['enable', enable],
    ['disable', disable],
  ] as const) {
    for (const item of list ?? []) {
      if (!FAMILIES.some((f) => names(item, f))) {
        throw invalidArg(what, item, `is neither a family nor a group (${FAMILY_GROUPS.join(', ')})`);
      }
    }
  }
  const wanted = only === undefined ? undefined : new Set(only);
  return FAMILIES.filter(
    (f) =>
      (wanted === undefined || wanted.has(f.name)) &&
      (enable === undefined || enable.some((i) => names(i, f))) &&
      (disable === undefined || !disable.some((i) => names(i, f))),
  );
}

/** A predicate over (sanitised) series label names, or undefined when every label is kept. */
export function labelFilter(sel: Selection = {}): ((name: string) => boolean) | undefined {
  const allow = stringList('labelAllow', sel.labelAllow);
  const deny = stringList('labelDeny', sel.labelDeny);
  if (allow === undefined && deny === undefined) return undefined;
  if (deny?.includes('id')) throw invalidArg('labelDeny', deny, "'id' identifies the series and cannot be denied");
  const a = allow === undefined ? undefined : new Set(allow);
  const d = new Set(deny ?? []);
  return (name) => name === 'id' || ((a === undefined || a.has(name)) && !d.has(name));
}
