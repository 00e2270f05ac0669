/**
 * A byte writer for fuzz seeds that remembers where every length and count field is, so the
 * mutator can lie about exactly those fields (the lies real parsers trip on).
 */

/** A big-endian length or count field inside a seed: `size` bytes at `off`. */
export interface LengthField {
  off: number;
  size: 1 | 2 | 3 | 4;
  /** Only these bits of the first byte belong to the field (IHL, TCP data offset), else the whole bytes. */
  mask?: number;
  what: string;
}

export class Builder {
  private bytes: number[] = [];
  readonly fields: LengthField[] = [];
  private open: { at: number; size: 1 | 2 | 3 | 4; what: string }[] = [];

  get length(): number {
    return this.bytes.length;
  }

  u8(...v: number[]): this {
    for (const b of v) this.bytes.push(b & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >> 8, v);
  }
  u24(v: number): this {
    return this.u8(v >> 16, v >> 8, v);
  }
  u32(v: number): this {
    return this.u8(v >>> 24, v >>> 16, v >>> 8, v);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i] & 0xff);
    return this;
  }
  str(s: string): this {
    return this.raw(new TextEncoder().encode(s));
  }
  /** A count field with a known value (DNS QDCOUNT, ...): recorded as a field to lie about. */
  count(size: 1 | 2, v: number, what: string): this {
    this.fields.push({ off: this.bytes.length, size, what });
    return size === 1 ? this.u8(v) : this.u16(v);
  }
  /** Starts a length field patched by `end()` with the byte count written in between. */
  begin(size: 1 | 2 | 3 | 4, what: string): this {
    this.open.push({ at: this.bytes.length, size, what });
    for (let i = 0; i < size; i++) this.bytes.push(0);
    return this;
  }
  end(): this {
    const f = this.open.pop();
    if (!f) throw new Error("Builder.end without begin");
    let n = this.bytes.length - f.at - f.size;
    for (let i = f.size - 1; i >= 0; i--, n = Math.floor(n / 256)) this.bytes[f.at + i] = n & 0xff;
    this.fields.push({ off: f.at, size: f.size, what: f.what });
    return this;
  }
  /** A DNS name as labels ("a.b.c" -> 1 a 1 b 1 c 0). */
  dnsName(name: string): this {
    for (const label of name.split(".").filter(Boolean)) this.u8(label.length).str(label);
    return this.u8(0);
  }
  done(): { bytes: Uint8Array; fields: LengthField[] } {
    if (this.open.length) throw new Error("Builder: unclosed length field");
    return { bytes: Uint8Array.from(this.bytes), fields: this.fields };
  }
}
