# Driver: a report table drawn with texttable (lib/texttable.py, verbatim), exercising its
# number formatting (floats, exponents, big integers), alignment and wrapping.
from texttable import Texttable

rows = [
    ["planet", "mass (kg)", "radius (km)", "moons", "note"],
    ["Mercury", 3.3011e23, 2439.7, 0, "closest to the Sun"],
    ["Venus", 4.8675e24, 6051.8, 0, "hottest — 464 °C"],
    ["Earth", 5.97237e24, 6371.0, 1, "home 🌍"],
    ["Jupiter", 1.8982e27, 69911, 95, "largest"],
    ["Ceres", 9.3835e20, 469.73, 0, "dwarf planet in the asteroid belt"],
]
t = Texttable(max_width=78)
t.set_cols_align(["l", "r", "r", "c", "l"])
t.set_cols_dtype(["t", "e", "f", "i", "t"])
t.set_precision(3)
t.add_rows(rows)
print(t.draw())

t2 = Texttable()
t2.set_deco(Texttable.HEADER)
t2.set_cols_dtype(["i", "f", "a", "a"])
t2.add_rows([["n", "n/7", "2**n", "1/n"]] + [[n, n / 7, 2 ** n, 1 / n] for n in (1, 3, 10, 64, 100)])
print(t2.draw())
