// Word frequencies of stdin with std::map and a sort by count, words split by hand (Rosetta Code: Word frequency).
#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

int main() {
    std::map<std::string, int> counts;
    std::set<char> initials;
    std::string line;
    int lines = 0;
    while (std::getline(std::cin, line)) {
        ++lines;
        line += ' ';
        std::string w;
        for (char c : line) {
            if (c == ' ' || c == '\t') {
                if (!w.empty()) { ++counts[w]; initials.insert(w[0]); w.clear(); }
                continue;
            }
            if (std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80)) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    std::vector<std::pair<std::string, int>> byCount(counts.begin(), counts.end());
    std::stable_sort(byCount.begin(), byCount.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    std::cout << lines << " lines, " << counts.size() << " distinct words\n";
    for (std::size_t i = 0; i < byCount.size() && i < 12; ++i) std::cout << byCount[i].second << '\t' << byCount[i].first << '\n';
    std::cout << "initials:";
    for (char c : initials) if (!(c & 0x80)) std::cout << ' ' << c;
    std::cout << "\nlongest: " << std::max_element(counts.begin(), counts.end(), [](const auto &a, const auto &b) { return a.first.size() < b.first.size(); })->first << '\n';
}
