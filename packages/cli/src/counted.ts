/** `1 resource`, `2 resources`: a count with its noun (English plurals in s only). */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
