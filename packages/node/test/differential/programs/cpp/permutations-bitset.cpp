// <algorithm> and <numeric> odds and ends: permutations, gcd/lcm, bitset, string_view (Rosetta Code: Permutations).
#include <algorithm>
#include <array>
#include <bitset>
#include <iostream>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

int main() {
    std::string s = "abcd";
    int n = 0;
    do { if (n++ % 5 == 0) std::cout << s << ' '; } while (std::next_permutation(s.begin(), s.end()));
    std::cout << "(" << n << " permutations)\n";
    std::array<int, 10> a{};
    std::iota(a.begin(), a.end(), 1);
    std::cout << "sum " << std::accumulate(a.begin(), a.end(), 0) << " product " << std::accumulate(a.begin(), a.end(), 1LL, std::multiplies<>()) << " gcd(84,36) " << std::gcd(84, 36) << " lcm(4,6) " << std::lcm(4, 6) << '\n';
    std::vector<int> v = {5, 3, 9, 1, 5, 7, 3, 3};
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    for (int x : v) std::cout << x << ' ';
    std::cout << "| lower_bound(6) at " << (std::lower_bound(v.begin(), v.end(), 6) - v.begin()) << '\n';
    std::bitset<16> bits(0xB00B);
    std::cout << bits << ' ' << bits.count() << ' ' << (bits << 3) << ' ' << bits.to_ulong() << ' ' << std::bitset<8>(std::string("10100101")).flip() << '\n';
    std::string_view text = "the rain in spain stays mainly in the plain";
    std::size_t pos = 0, count = 0;
    while ((pos = text.find("ain", pos)) != std::string_view::npos) { ++count; ++pos; }
    std::cout << "\"ain\" " << count << " times; first word \"" << text.substr(0, text.find(' ')) << "\"; rotated: ";
    std::string r(text);
    std::rotate(r.begin(), r.begin() + 4, r.end());
    std::cout << r << '\n';
    std::vector<int> evens;
    std::copy_if(a.begin(), a.end(), std::back_inserter(evens), [](int x) { return x % 2 == 0; });
    std::transform(evens.begin(), evens.end(), evens.begin(), [](int x) { return x * x; });
    for (int x : evens) std::cout << x << (x == evens.back() ? '\n' : ',');
}
