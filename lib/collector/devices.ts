/**
 * Block device names for the `device` label, as cAdvisor names them: `/dev/<DEVNAME>` of the device's major:minor,
 * here from `/sys/dev/block/<major>:<minor>/uevent` (read once per device and cached for the collector's life). A
 * device with no such entry (gone, or a recorded tree from another machine) is named `<major>:<minor>` — cAdvisor
 * writes an empty label there, which would merge two unknown devices into one series.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class DeviceNames {
  private readonly cache = new Map<number, string>();
  /** uevent files read (the rest came from the cache). */
  lookups = 0;

  constructor(readonly sysRoot = '/sys') {}

  nameOf(major: number, minor: number): string {
    const k = major * 1048576 + minor;
    let name = this.cache.get(k);
    if (name === undefined) {
      name = this.resolve(major, minor);
      this.cache.set(k, name);
    }
    return name;
  }

  private resolve(major: number, minor: number): string {
    this.lookups++;
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.sysRoot, 'dev', 'block', `${major}:${minor}`, 'uevent'), 'latin1');
    } catch {
      return `${major}:${minor}`;
    }
    const m = /^DEVNAME=(.+)$/m.exec(text);
    return m ? `/dev/${m[1]!.trim()}` : `${major}:${minor}`;
  }
}
