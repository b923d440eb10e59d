// Classes, virtual dispatch, templates, lambdas and std::variant (Rosetta Code: Polymorphism, Higher-order functions).
#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <variant>
#include <vector>

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};
struct Circle : Shape { double r; explicit Circle(double r) : r(r) {} double area() const override { return M_PI * r * r; } std::string name() const override { return "circle"; } };
struct Rect : Shape { double w, h; Rect(double w, double h) : w(w), h(h) {} double area() const override { return w * h; } std::string name() const override { return "rect"; } };
struct Square : Rect { explicit Square(double s) : Rect(s, s) {} std::string name() const override { return "square"; } };

template <typename T> T sumOf(const std::vector<T> &xs) { return std::accumulate(xs.begin(), xs.end(), T{}); }

std::function<int(int)> compose(std::function<int(int)> f, std::function<int(int)> g) { return [=](int x) { return f(g(x)); }; }

int main() {
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.push_back(std::make_unique<Circle>(1.5));
    shapes.push_back(std::make_unique<Rect>(2, 3.25));
    shapes.push_back(std::make_unique<Square>(2.5));
    shapes.push_back(std::make_unique<Circle>(0.5));
    std::sort(shapes.begin(), shapes.end(), [](const auto &a, const auto &b) { return a->area() < b->area(); });
    for (const auto &s : shapes) std::cout << std::setw(7) << s->name() << std::fixed << std::setprecision(3) << std::setw(9) << s->area() << '\n';
    std::cout << sumOf(std::vector<int>{1, 2, 3, 4}) << ' ' << sumOf(std::vector<double>{0.1, 0.2}) << ' ' << sumOf(std::vector<std::string>{"a", "b", "c"}) << '\n';
    auto counter = [n = 0]() mutable { return ++n; };
    counter();
    counter();
    std::cout << "counter: " << counter() << ", composed: " << compose([](int x) { return x * 2; }, [](int x) { return x + 3; })(4) << '\n';
    std::vector<std::variant<int, double, std::string>> items = {42, 2.5, std::string("text"), -7};
    for (const auto &item : items)
        std::visit([](const auto &v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, int>) std::cout << "int " << v << '\n';
            else if constexpr (std::is_same_v<V, double>) std::cout << "double " << v << '\n';
            else std::cout << "string \"" << v << "\"\n";
        }, items[&item - &items[0]]);
}
