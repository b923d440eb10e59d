// Written for this suite: matrices as readonly arrays (Rosetta Code: Matrix multiplication, Matrix transposition).
type Matrix = readonly (readonly number[])[];

const multiply = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((sum, x, k) => sum + x * b[k]![j]!, 0)));
const transpose = (m: Matrix): Matrix => m[0]!.map((_, j) => m.map((row) => row[j]!));
const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

function determinant(m: Matrix): number {
  if (m.length === 1) return m[0]![0]!;
  return m[0]!.reduce((det, x, j) => det + (j % 2 ? -1 : 1) * x * determinant(m.slice(1).map((row) => row.filter((_, k) => k !== j))), 0);
}

function show(label: string, m: Matrix, format: (x: number) => string = String): void {
  console.log(label);
  for (const row of m) console.log("  " + row.map((x) => format(x).padStart(12)).join(""));
}

const a: Matrix = [[1, 2, 3], [4, 5, 6]];
const b: Matrix = [[0.5, -1], [2, 0.25], [1 / 3, 7]];
show("A x B", multiply(a, b));
show("A x B (toFixed 3)", multiply(a, b), (x) => x.toFixed(3));
show("transpose(A)", transpose(a));
show("B^T x B (toPrecision 4)", multiply(transpose(b), b), (x) => x.toPrecision(4));
show("I3 x (toExponential 2)", multiply(identity(3), [[1e-7, 12345.678, -0.1], [2, 3, 4], [5, 6, 7]]), (x) => x.toExponential(2));
const hilbert: Matrix = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => 1 / (i + j + 1)));
console.log("det(Hilbert 5) =", determinant(hilbert), "det(A A^T) =", determinant(multiply(a, transpose(a))));
console.log([0.1 + 0.2, 1e21, 1 / 3, -0, 2 ** 53 + 1, 5e-324, 123.456e10].map((x) => String(x)).join(" "));
