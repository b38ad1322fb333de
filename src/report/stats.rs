//! Summary statistics over replications: mean, sample standard deviation and the
//! Student-t confidence half-width `t_{(1+c)/2, n-1} · s / √n`, as the reference
//! tool-chain's `t.test(conf.level = 0.95)`.

/// Mean, standard deviation, count and confidence half-width of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for one value.
    pub sd: f64,
    pub n: usize,
    /// Half-width of the confidence interval; NaN for n < 2.
    pub ci_half_width: f64,
}

/// Summarises `values` (NaN values are skipped) at confidence level `confidence` (e.g. 0.95).
/// Sums run in the given order, so the result does not depend on thread scheduling.
pub fn summarize(values: &[f64], confidence: f64) -> Summary {
    let finite: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = finite.len();
    if n == 0 {
        return Summary { mean: f64::NAN, sd: f64::NAN, n, ci_half_width: f64::NAN };
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Summary { mean, sd: 0.0, n, ci_half_width: f64::NAN };
    }
    let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let t = student_t_quantile(0.5 + confidence / 2.0, (n - 1) as f64);
    Summary { mean, sd, n, ci_half_width: t * sd / (n as f64).sqrt() }
}

/// Quantile `p` of Student's t distribution with `df` degrees of freedom, by bisection
/// on the CDF (accurate to ~1e-12).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0 && df > 0.0, "quantile {p} of t({df})");
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 * hi.max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// CDF of Student's t: 1 - I_x(df/2, 1/2) / 2 for t >= 0, x = df / (df + t²).
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// I_x(a, b) by Lentz's continued fraction.
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - regularized_incomplete_beta(1.0 - x, b, a);
    }
    let tiny = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
    let mut f = d;
    for m in 1..500 {
        let m = m as f64;
        for numerator in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
            c = 1.0 + numerator / c;
            if c.abs() < tiny {
                c = tiny;
            }
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-15 {
            break;
        }
    }
    ln_front.exp() * f / a
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum: f64 = G[0] + G.iter().enumerate().skip(1).map(|(i, g)| g / (x + i as f64)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // t_{0.975, df} from standard tables (R: qt(0.975, df)).
        for (df, q) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (5.0, 2.570_581_836),
            (23.0, 2.068_657_610),
            (100.0, 1.983_971_519),
        ] {
            let got = student_t_quantile(0.975, df);
            assert!((got - q).abs() < 1e-6, "df {df}: {got} vs {q}");
        }
        assert!((student_t_quantile(0.995, 10.0) - 3.169_272_673).abs() < 1e-6);
        assert!((student_t_quantile(0.025, 5.0) + 2.570_581_836).abs() < 1e-6);
    }

    #[test]
    fn summary_of_a_known_sample() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, f64::NAN], 0.95);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - 1.290_994_449).abs() < 1e-9);
        // R: t.test(1:4)$conf.int = 0.4457397 4.5542603
        assert!((s.ci_half_width - 2.054_260_3).abs() < 1e-6, "{}", s.ci_half_width);
        assert!(summarize(&[7.0], 0.95).ci_half_width.is_nan());
    }
}
