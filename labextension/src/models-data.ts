/**
 * What the Models section shows, from the server's reply alone: an alias line per
 * model and a sentence per registry event.
 */
import type { IRegisteredModel, IRegistryEvent } from './tokens';

/** `@production → 2 · @staging → 3`, aliases sorted; empty when there are none. */
export function aliasLine(model: IRegisteredModel): string {
  return Object.entries(model.aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => `@${alias} → ${version}`)
    .join(' · ');
}

/** One registry event as a short sentence, e.g. `@production 1 → 2`. */
export function describeEvent(event: IRegistryEvent): string {
  switch (event.op) {
    case 'register':
      return `registered version ${event.version}`;
    case 'set_alias':
      return event.old === null
        ? `@${event.alias} → ${event.new}`
        : `@${event.alias} ${event.old} → ${event.new}`;
    case 'delete_alias':
      return `@${event.alias} removed (was ${event.old})`;
    case 'delete_version':
      return `deleted version ${event.version}`;
  }
}
