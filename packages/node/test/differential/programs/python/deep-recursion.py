# Written for this suite (not third-party): the classic "raise the recursion limit, then
# recurse" pattern of Python solutions to Rosetta Code tasks such as Ackermann function and
# Find limit of recursion.
import sys

sys.setrecursionlimit(5000)


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


for m in range(4):
    print(" ".join(str(ackermann(m, n)) for n in range(6)))
print(depth(4000))
print(sum(int(d) for d in str(2 ** 4000)))
