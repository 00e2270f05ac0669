/**
 * Texts as small integer ids, each distinct text held once and reference-counted by its users (flow
 * labels, DNS answers): typed arrays keep the ids (1 and up; 0 none), and a text is freed with its
 * last user.
 */
export class Interner {
  readonly #ids = new Map<string, number>();
  readonly #texts: (string | undefined)[] = [undefined];
  readonly #refs: number[] = [0];
  readonly #freeIds: number[] = [];

  /** Distinct texts held now. */
  get size(): number {
    return this.#ids.size;
  }

  /** The text's id, made when new (with no user yet). */
  add(text: string): number {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#freeIds.pop() ?? this.#texts.length;
      this.#texts[id] = text;
      this.#refs[id] = 0;
      this.#ids.set(text, id);
    }
    return id;
  }

  /** The text's id with one more user. */
  intern(text: string): number {
    const id = this.add(text);
    this.#refs[id]!++;
    return id;
  }

  /** The text's id, or 0 when it is not held. */
  idOf(text: string): number {
    return this.#ids.get(text) ?? 0;
  }

  text(id: number): string | undefined {
    return this.#texts[id];
  }

  retain(id: number): void {
    this.#refs[id]!++;
  }

  release(id: number): void {
    if (--this.#refs[id]! <= 0) this.prune(id);
  }

  /** Frees the id when no one uses it. */
  prune(id: number): void {
    if (this.#refs[id] !== 0 || this.#texts[id] === undefined) return;
    this.#ids.delete(this.#texts[id]!);
    this.#texts[id] = undefined;
    this.#freeIds.push(id);
  }
}
