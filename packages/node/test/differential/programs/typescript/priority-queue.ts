// Written for this suite: a binary-heap priority queue (Rosetta Code: Priority queue).
interface Task { priority: number; name: string }
type Comparator<T> = (a: T, b: T) => number;

class PriorityQueue<T> implements Iterable<T> {
  #heap: T[] = [];
  readonly #less: Comparator<T>;
  constructor(less: Comparator<T>) { this.#less = less; }
  get size(): number { return this.#heap.length; }
  push(...items: T[]): this {
    for (const item of items) {
      this.#heap.push(item);
      let i = this.#heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.#less(this.#heap[i]!, this.#heap[parent]!) >= 0) break;
        [this.#heap[i], this.#heap[parent]] = [this.#heap[parent]!, this.#heap[i]!];
        i = parent;
      }
    }
    return this;
  }
  pop(): T | undefined {
    const top = this.#heap[0];
    const last = this.#heap.pop();
    if (this.#heap.length > 0 && last !== undefined) {
      this.#heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.#heap.length && this.#less(this.#heap[l]!, this.#heap[m]!) < 0) m = l;
        if (r < this.#heap.length && this.#less(this.#heap[r]!, this.#heap[m]!) < 0) m = r;
        if (m === i) break;
        [this.#heap[i], this.#heap[m]] = [this.#heap[m]!, this.#heap[i]!];
        i = m;
      }
    }
    return top;
  }
  *[Symbol.iterator](): Iterator<T> { while (this.size > 0) yield this.pop() as T; }
}

const tasks = new PriorityQueue<Task>((a, b) => a.priority - b.priority || a.name.localeCompare(b.name, "en"));
tasks.push({ priority: 3, name: "Clear drains" }, { priority: 4, name: "Feed cat" }, { priority: 5, name: "Make tea" });
tasks.push({ priority: 1, name: "Solve RC tasks" }, { priority: 2, name: "Tax return" }, { priority: 3, name: "Buy milk" });
for (const { priority, name } of tasks) console.log(`${priority}: ${name}`);

const numbers = new PriorityQueue<number>((a, b) => b - a);
let seed = 42;
const next = (): number => (seed = (seed * 1664525 + 1013904223) % 4294967296);
for (let i = 0; i < 1000; i++) numbers.push(next() % 10000);
const top: number[] = [];
for (let i = 0; i < 10; i++) top.push(numbers.pop()!);
console.log(top.join(" "), "| left:", numbers.size);
