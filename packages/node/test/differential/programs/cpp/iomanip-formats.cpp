// iostream formatting with <iomanip> (Rosetta Code: Formatted numeric output).
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <string>

int main() {
    const double values[] = {0.0, 1.0 / 3.0, -2.5, 1234567.891, 6.02214076e23, 1e-10};
    for (double v : values) {
        std::cout << std::setw(14) << std::defaultfloat << v << " | " << std::setw(20) << std::fixed << std::setprecision(4) << v << " | "
                  << std::scientific << std::setprecision(3) << v << " | " << std::hexfloat << v << std::defaultfloat << std::setprecision(6) << '\n';
    }
    std::cout << std::setprecision(17) << 0.1 << ' ' << std::numeric_limits<double>::max() << ' ' << std::numeric_limits<double>::denorm_min() << '\n';
    std::cout << std::setprecision(6) << std::showpos << 42 << ' ' << 3.5 << std::noshowpos << ' ' << std::showpoint << 2.0 << std::noshowpoint << '\n';
    std::cout << std::hex << std::showbase << 255 << ' ' << std::uppercase << 48879 << std::nouppercase << ' ' << std::oct << 8 << std::dec << std::noshowbase << '\n';
    std::cout << std::boolalpha << true << ' ' << (1 > 2) << std::noboolalpha << ' ' << true << '\n';
    std::cout << '[' << std::left << std::setw(8) << "left" << ']' << '[' << std::right << std::setw(8) << "right" << ']' << '['
              << std::setfill('*') << std::setw(8) << 42 << std::setfill(' ') << ']' << '[' << std::internal << std::setw(8) << -42 << ']' << '\n';
    std::cout << std::numeric_limits<long long>::min() << ' ' << std::numeric_limits<unsigned long long>::max() << ' ' << static_cast<int>('A') << ' ' << 'A' << '\n';
    std::cout << INFINITY << ' ' << -INFINITY << ' ' << std::sqrt(2.0) << ' ' << std::pow(2.0, 64) << ' ' << 1e21 << ' ' << 123456789.0 << '\n';
    std::string s = std::to_string(3.14159) + " " + std::to_string(-7) + " " + std::to_string(1ULL << 63);
    std::cout << s << ' ' << std::stoi("0x1f", nullptr, 16) << ' ' << std::stod("2.5e3") << '\n';
}
