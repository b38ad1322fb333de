//! Statistics accumulators the components keep over the measurement window.

/// A sample statistic: count and sum, which is all the output takes (means; the spread
/// of a point comes from its replications, not from the samples within a run).
#[derive(Clone, Copy, Debug, Default)]
pub struct Samples {
    pub count: u64,
    pub sum: f64,
}

impl Samples {
    pub fn add(&mut self, x: f64) {
        self.count += 1;
        self.sum += x;
    }

    pub fn merge(&mut self, other: &Samples) {
        self.count += other.count;
        self.sum += other.sum;
    }

    /// Mean, NaN without samples.
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 }
    }
}
