//! Medians and percentiles of repeated measurements.

use std::time::Duration;

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        f64::midpoint(sorted[middle - 1], sorted[middle])
    }
}

/// The `p`-quantile (0..=1) of latencies in nanoseconds, nearest rank.
pub fn percentile(nanos: &mut [u64], p: f64) -> f64 {
    if nanos.is_empty() {
        return f64::NAN;
    }
    nanos.sort_unstable();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a non-empty slice"
    )]
    let index = ((nanos.len() - 1) as f64 * p).round() as usize;
    #[allow(clippy::cast_precision_loss, reason = "nanoseconds for people")]
    let value = nanos[index.min(nanos.len() - 1)] as f64;
    value
}

/// `count` per second over `elapsed`.
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let count = count as f64;
    count / elapsed.as_secs_f64().max(f64::EPSILON)
}

/// Nanoseconds since `started`, saturating.
pub fn nanos_since(started: std::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(&[4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < f64::EPSILON);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn percentile_by_nearest_rank() {
        let mut nanos: Vec<u64> = (1..=100).rev().collect();
        assert!((percentile(&mut nanos, 0.5) - 51.0).abs() < f64::EPSILON);
        assert!((percentile(&mut nanos, 0.99) - 99.0).abs() < f64::EPSILON);
    }
}
