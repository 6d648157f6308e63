"""The few statistics the summaries and figures use, in numpy only (no scipy needed).

- mean, standard error (sample standard deviation with ddof = 1, over sqrt(n)) and n of the finite
  values of a sample;
- the two-sided 95 % confidence interval of a mean from Student's t distribution with n - 1
  degrees of freedom: mean +- t_{0.975, n-1} * s / sqrt(n);
- the ordinary least-squares line y = a + b x and Pearson's r.
"""
import math

import numpy as np


def student_t_two_sided_probability(t, dof):
    """P(|T| <= t) for Student's t with an integer number of degrees of freedom DOF >= 1.

    Closed form for integer DOF (Abramowitz & Stegun 26.7.3 and 26.7.4), with theta = atan(t / sqrt(dof)):
      odd dof:  (2 / pi) (theta + sin(theta) [cos(theta) + 2/3 cos^3 + 2*4/(3*5) cos^5 + ... up to cos^(dof-2)])
      even dof: sin(theta) [1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ... up to cos^(dof-2)]
    """
    if dof < 1 or int(dof) != dof:
        raise ValueError(f"degrees of freedom must be a positive integer (got {dof})")
    dof = int(dof)
    theta = math.atan(abs(t) / math.sqrt(dof))
    s, c = math.sin(theta), math.cos(theta)
    if dof % 2 == 1:
        series, term = 0.0, c
        if dof > 1:
            series = term
            for j in range(3, dof - 1, 2):  # term_j = term_{j-2} * (j-1)/j * cos^2
                term *= (j - 1) / j * c * c
                series += term
        return 2.0 / math.pi * (theta + s * series)
    series, term = 1.0, 1.0
    for j in range(2, dof - 1, 2):  # term_j = term_{j-2} * (j-1)/j * cos^2
        term *= (j - 1) / j * c * c
        series += term
    return s * series


def student_t_quantile(probability, dof):
    """t such that P(T <= t) = PROBABILITY (in (0.5, 1)) for Student's t with DOF degrees of freedom.

    Bisection on theta = atan(t / sqrt(dof)) in (0, pi/2), where P(|T| <= t) is increasing; converges
    to the last bit of theta."""
    if not 0.5 < probability < 1.0:
        raise ValueError(f"probability must be in (0.5, 1) (got {probability})")
    target = 2.0 * probability - 1.0
    low, high = 0.0, math.pi / 2
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if student_t_two_sided_probability(math.sqrt(dof) * math.tan(middle), dof) < target:
            low = middle
        else:
            high = middle
    return math.sqrt(dof) * math.tan(0.5 * (low + high))


def finite(values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def mean_se(values):
    """(mean, standard error, n) of the finite entries: se = std(ddof=1) / sqrt(n); NaN where undefined."""
    v = finite(values)
    n = len(v)
    mean = float(v.mean()) if n else math.nan
    se = float(v.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    return mean, se, n


def mean_ci95(values):
    """(mean, low, high, n): the mean of the finite entries and its two-sided 95 % t interval
    mean +- t_{0.975, n-1} s / sqrt(n) (s: sample standard deviation); low = high = NaN for n < 2."""
    mean, se, n = mean_se(values)
    if n < 2:
        return mean, math.nan, math.nan, n
    half = student_t_quantile(0.975, n - 1) * se
    return mean, mean - half, mean + half, n


def linear_fit(x, y):
    """(intercept a, slope b, Pearson r, n) of the least-squares line y = a + b x over the pairs
    where both are finite; NaN where undefined (fewer than 2 pairs, or x constant)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 2:
        return math.nan, math.nan, math.nan, n
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    if sxx == 0:
        return math.nan, math.nan, math.nan, n
    slope = sxy / sxx
    r = sxy / math.sqrt(sxx * syy) if syy > 0 else math.nan
    return float(y.mean() - slope * x.mean()), slope, r, n
