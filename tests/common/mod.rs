//! Checks shared by integration tests.

use poolsim::model::Metrics;

/// Nothing lost, over a window from time 0: every job generated is completed, in service
/// or queued, none started twice; every calculation a PE did is credited, lost or still
/// unsaved (up to the half calculation per job the PEs' accounting rounds away, as the
/// reference's).
pub fn assert_conserved(what: &str, m: &Metrics) {
    assert_eq!(
        m.jobs_queued,
        m.jobs_completed + m.jobs_in_service_end + m.pu_queue_length_end,
        "{what}: every job generated is completed, in service or queued"
    );
    assert_eq!(m.jobs_started, m.jobs_completed + m.jobs_in_service_end, "{what}: no job started twice");
    let accounted = m.goodput_calculations + m.lost_calculations + m.unsaved_calculations_end;
    let rounding = 0.5 * m.jobs_completed as f64 + 1e-9 * m.used_capacity;
    assert!(
        (m.used_capacity - accounted).abs() <= rounding,
        "{what}: used {} != goodput {} + lost {} + unsaved {} (off by {})",
        m.used_capacity,
        m.goodput_calculations,
        m.lost_calculations,
        m.unsaved_calculations_end,
        m.used_capacity - accounted
    );
    assert!(m.lost_calculations >= 0.0, "{what}: lost {}", m.lost_calculations);
}
