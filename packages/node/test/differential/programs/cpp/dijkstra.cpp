// Shortest paths with std::priority_queue (Rosetta Code: Dijkstra's algorithm).
#include <climits>
#include <cstdio>
#include <optional>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

struct Edge { int to; int weight; };

int main() {
    const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f"};
    std::unordered_map<std::string, int> index;
    for (int i = 0; i < static_cast<int>(names.size()); ++i) index[names[i]] = i;
    const std::vector<std::tuple<std::string, std::string, int>> edges = {
        {"a", "b", 7}, {"a", "c", 9}, {"a", "f", 14}, {"b", "c", 10}, {"b", "d", 15},
        {"c", "d", 11}, {"c", "f", 2}, {"d", "e", 6}, {"e", "f", 9}};
    std::vector<std::vector<Edge>> graph(names.size());
    for (const auto &[from, to, w] : edges) graph[index[from]].push_back({index[to], w});
    std::vector<int> dist(names.size(), INT_MAX);
    std::vector<std::optional<int>> prev(names.size());
    using Item = std::pair<int, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
    dist[0] = 0;
    queue.push({0, 0});
    while (!queue.empty()) {
        auto [d, u] = queue.top();
        queue.pop();
        if (d > dist[u]) continue;
        for (const Edge &e : graph[u])
            if (dist[u] + e.weight < dist[e.to]) { dist[e.to] = dist[u] + e.weight; prev[e.to] = u; queue.push({dist[e.to], e.to}); }
    }
    for (std::size_t v = 0; v < names.size(); ++v) {
        std::string path = names[v];
        for (auto p = prev[v]; p; p = prev[*p]) path = names[*p] + " -> " + path;
        std::printf("%s: %s  %s\n", names[v].c_str(), dist[v] == INT_MAX ? "unreachable" : std::to_string(dist[v]).c_str(), path.c_str());
    }
}
