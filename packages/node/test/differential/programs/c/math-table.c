/* math.h functions over a few arguments (Rosetta Code: Real constants and functions, Trigonometric functions). */
#include <float.h>
#include <math.h>
#include <stdio.h>

int main(void) {
    const double xs[] = {0.0, 0.5, 1.0, 2.0, M_PI / 3, 10.0};
    printf("%8s %12s %12s %12s %12s %12s %12s\n", "x", "sin", "cos", "exp", "log1p", "sqrt", "cbrt");
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i];
        printf("%8.4f %12.8f %12.8f %12.6g %12.8f %12.8f %12.8f\n", x, sin(x), cos(x), exp(x), log1p(x), sqrt(x), cbrt(x));
    }
    printf("pi=%.15f e=%.15f sqrt2=%.15f\n", M_PI, M_E, M_SQRT2);
    printf("pow(2,0.5)=%.12f pow(-8,1/3.)=%f hypot(3,4)=%g atan2(1,-1)=%.10f\n", pow(2, 0.5), pow(-8, 1 / 3.), hypot(3, 4), atan2(1, -1));
    printf("fmod(10,3)=%g fmod(-10,3)=%g remainder(10,3)=%g\n", fmod(10, 3), fmod(-10, 3), remainder(10, 3));
    printf("floor/ceil/round/trunc(-2.5): %g %g %g %g; rint(2.5)=%g nearbyint(3.5)=%g\n", floor(-2.5), ceil(-2.5), round(-2.5), trunc(-2.5), rint(2.5), nearbyint(3.5));
    printf("tgamma(5)=%g lgamma(100)=%.6f erf(1)=%.10f\n", tgamma(5), lgamma(100), erf(1));
    printf("DBL_EPSILON=%g DBL_MAX=%g DBL_MIN=%g\n", DBL_EPSILON, DBL_MAX, DBL_MIN);
    printf("isnan(sqrt(-1))=%d isinf(HUGE_VAL)=%d signbit(-0.0)=%d\n", isnan(sqrt(-1.0)), isinf(HUGE_VAL) != 0, signbit(-0.0) != 0);
    int e;
    double m = frexp(1234.5, &e);
    printf("frexp(1234.5)=%g*2^%d ldexp(0.75,4)=%g modf: ", m, e, ldexp(0.75, 4));
    double ip, fp = modf(-3.75, &ip);
    printf("%g %g\n", ip, fp);
    double sum = 0;
    for (int k = 1; k <= 100000; k++) sum += 1.0 / ((double)k * k);
    printf("sum 1/k^2 = %.12f, pi^2/6 = %.12f\n", sum, M_PI * M_PI / 6);
    return 0;
}
