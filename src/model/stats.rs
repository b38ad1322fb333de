//! Statistics accumulators the components keep over the measurement window.

/// A sample statistic: count, sum and sum of squares.
#[derive(Clone, Copy, Debug, Default)]
pub struct Samples {
    pub count: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Samples {
    pub fn add(&mut self, x: f64) {
        self.count += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    pub fn merge(&mut self, other: &Samples) {
        self.count += other.count;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// Mean, NaN without samples.
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 }
    }
}
