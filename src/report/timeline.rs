//! A picture of one run (`poolsim run --timeline DIR`): at a fixed sampling interval, each
//! PE's state (up or down, interface, jobs, load), each registrar's state and pool size,
//! and the pool users' queue and failovers, as three tidy CSV files and one SVG that shows
//! churn, failovers and queue build-up at a glance. Sampling schedules no event, so the
//! run is the one `poolsim run` makes (same metrics, same fingerprint).

use super::plot::{short_number, tick_label};
use crate::engine::{SimDuration, SimTime};
use crate::model::{NodeId, RunOutput, Simulation};
use crate::scenario::Scenario;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One pool element at one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolElementSample {
    pub up: bool,
    pub interface_up: bool,
    pub jobs: usize,
    /// jobs / MaxJobs
    pub load: f64,
    /// Starts (restarts) since the previous sample.
    pub starts: u32,
}

/// One registrar at one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegistrarSample {
    pub up: bool,
    pub interface_up: bool,
    /// PEs in its handlespace.
    pub pool_elements: usize,
    pub owned: usize,
}

/// The pool users at one sample, summed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolUserSample {
    /// Jobs waiting in PU queues.
    pub queued_jobs: u64,
    /// Jobs in service (selecting a PE or processing).
    pub jobs_in_service: u64,
    /// Failovers since the previous sample.
    pub failovers: u64,
}

/// Samples of a run, every `interval` from time 0.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub interval: SimDuration,
    pub times: Vec<SimTime>,
    /// By sample, then by PE.
    pub pool_elements: Vec<Vec<PoolElementSample>>,
    pub registrars: Vec<Vec<RegistrarSample>>,
    pub pool_users: Vec<PoolUserSample>,
    /// End of the warm-up [s] (shaded in the picture).
    pub warmup_s: f64,
    /// The LAN of each PE and each registrar (rows are grouped by LAN when there are several).
    pub pool_element_lans: Vec<u32>,
    pub registrar_lans: Vec<u32>,
}

/// Runs `s`, sampling every `interval`.
pub fn record(s: &Scenario, interval: SimDuration) -> (RunOutput, Timeline) {
    let layout = s.layout();
    let mut t = Timeline {
        interval,
        warmup_s: s.warmup_s,
        pool_element_lans: layout.pool_element_lans.clone(),
        registrar_lans: layout.registrar_lans.clone(),
        ..Timeline::default()
    };
    let mut failovers_before = 0;
    let mut incarnations_before = vec![0; layout.pool_element_lans.len()];
    let n_pr = layout.registrar_lans.len() as u32;
    let out = Simulation::new(s).run_sampled(interval, |now, sim| {
        t.times.push(now);
        t.registrars.push(
            (0..)
                .zip(sim.registrars())
                .map(|(i, r)| RegistrarSample {
                    up: r.is_up(),
                    interface_up: sim.interface_up(NodeId(i)),
                    pool_elements: r.pool_size(),
                    owned: r.owned_pool_elements(),
                })
                .collect(),
        );
        t.pool_elements.push(
            (n_pr..)
                .zip(sim.pool_elements())
                .zip(&mut incarnations_before)
                .map(|((node, pe), before)| PoolElementSample {
                    up: pe.is_up(),
                    interface_up: sim.interface_up(NodeId(node)),
                    jobs: pe.job_count(),
                    load: pe.job_count() as f64 / pe.max_jobs as f64,
                    starts: pe.incarnations() - std::mem::replace(before, pe.incarnations()),
                })
                .collect(),
        );
        let pus = sim.pool_users();
        let failovers: u64 = sim.lan_counters().iter().map(|c| c.since_start.failovers).sum();
        t.pool_users.push(PoolUserSample {
            queued_jobs: pus.iter().map(|pu| pu.queue_length() as u64).sum(),
            jobs_in_service: pus.iter().map(|pu| pu.has_job_in_service() as u64).sum(),
            failovers: failovers - failovers_before,
        });
        failovers_before = failovers;
    });
    (out, t)
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in-memory CSV");
    for row in rows {
        w.write_record(&row).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

impl Timeline {
    /// One row per sample and component: time_s, the component's index, then `fields`.
    fn per_component_csv<T>(&self, header: &[&str], samples: &[Vec<T>], fields: impl Fn(&T) -> Vec<String>) -> Vec<u8> {
        let rows = self.times.iter().zip(samples).flat_map(|(t, components)| {
            components.iter().enumerate().map(|(i, c)| {
                let mut row = vec![t.as_secs_f64().to_string(), i.to_string()];
                row.extend(fields(c));
                row
            })
        });
        csv_bytes(header, rows)
    }

    /// `timeline_pool_elements.csv`: time_s, pe, up, interface_up, jobs, load.
    pub fn pool_elements_csv(&self) -> Vec<u8> {
        let header = ["time_s", "pe", "up", "interface_up", "jobs", "load"];
        self.per_component_csv(&header, &self.pool_elements, |p| {
            vec![(p.up as u8).to_string(), (p.interface_up as u8).to_string(), p.jobs.to_string(), p.load.to_string()]
        })
    }

    /// `timeline_registrars.csv`: time_s, registrar, up, interface_up, pool_elements, owned.
    pub fn registrars_csv(&self) -> Vec<u8> {
        let header = ["time_s", "registrar", "up", "interface_up", "pool_elements", "owned"];
        self.per_component_csv(&header, &self.registrars, |r| {
            vec![
                (r.up as u8).to_string(),
                (r.interface_up as u8).to_string(),
                r.pool_elements.to_string(),
                r.owned.to_string(),
            ]
        })
    }

    /// `timeline_pool_users.csv`: time_s, queued_jobs, jobs_in_service, failovers (since the
    /// previous sample).
    pub fn pool_users_csv(&self) -> Vec<u8> {
        let rows = self.times.iter().zip(&self.pool_users).map(|(t, u)| {
            vec![
                t.as_secs_f64().to_string(),
                u.queued_jobs.to_string(),
                u.jobs_in_service.to_string(),
                u.failovers.to_string(),
            ]
        });
        csv_bytes(&["time_s", "queued_jobs", "jobs_in_service", "failovers"], rows)
    }

    /// Writes the three CSV files and `timeline.svg` into `dir` (each atomically).
    pub fn write(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let files = [
            ("timeline_pool_elements.csv", self.pool_elements_csv()),
            ("timeline_registrars.csv", self.registrars_csv()),
            ("timeline_pool_users.csv", self.pool_users_csv()),
            ("timeline.svg", self.svg().into_bytes()),
        ];
        let mut written = Vec::new();
        for (name, bytes) in files {
            let path = dir.join(name);
            super::write_atomic(&path, &bytes)?;
            written.push(path);
        }
        Ok(written)
    }

    /// The picture: a strip per PE (load shade; down in black, not yet started in grey,
    /// interface down in orange), a strip per registrar, the PU queue, and failovers per
    /// sampling interval (each of the last two left out when it stays at 0).
    pub fn svg(&self) -> String {
        let mut svg = String::new();
        let n_pe = self.pool_elements.first().map_or(0, Vec::len);
        let shown_pe = n_pe.min(MAX_STRIPS);
        let n_pr = self.registrars.first().map_or(0, Vec::len);
        let shown_pr = n_pr.min(MAX_STRIPS);
        let pe_height = (60 + 8 * shown_pe as u32).clamp(140, 460);
        let pr_height = (50 + 12 * shown_pr as u32).clamp(90, 200);
        let step = self.interval.as_secs_f64();
        // The PU queue and the failovers, each left out when it stays at 0.
        let over_time = |value: &dyn Fn(&PoolUserSample) -> f64| -> Vec<(f64, f64)> {
            self.times.iter().zip(&self.pool_users).map(|(t, u)| (t.as_secs_f64(), value(u))).collect()
        };
        let series: Vec<Series> = [
            ("Jobs waiting in PU queues".to_string(), over_time(&|u| u.queued_jobs as f64), BLUE, false),
            (format!("Failovers per {} s", short_number(step)), over_time(&|u| u.failovers as f64), RED, true),
        ]
        .into_iter()
        .filter(|(_, points, _, _)| points.iter().any(|p| p.1 != 0.0))
        .collect();
        let height = pe_height + pr_height + 150 * series.len() as u32;
        let width = 1000;
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            let _ = root.fill(&WHITE);
            let (pe_area, rest) = root.split_vertically(pe_height);
            let (pr_area, rest) = rest.split_vertically(pr_height);
            let series_areas = rest.split_evenly((series.len().max(1), 1));
            let end = self.times.last().map_or(1.0, |t| t.as_secs_f64()).max(1e-9);
            let max_jobs = self.pool_elements.iter().flatten().map(|p| p.jobs).max().unwrap_or(0).max(1);
            let which = if n_pe > shown_pe { format!(" (first {shown_pe} of {n_pe})") } else { String::new() };
            let pe_title = format!(
                "Pool elements{which}: jobs (white 0 to blue {max_jobs}), (re)start (red tick), down (black), \
                 not started yet (grey), interface down (orange)"
            );
            // A component is "not started" until its first sample up, not "down".
            let first_up = |up: &dyn Fn(usize) -> bool| (0..self.times.len()).find(|&i| up(i)).unwrap_or(usize::MAX);
            let pe_first_up: Vec<usize> = (0..shown_pe).map(|j| first_up(&|i| self.pool_elements[i][j].up)).collect();
            let pe_cells = |i: usize, j: usize| {
                let p = self.pool_elements[i][j];
                match (p.up, p.interface_up) {
                    (false, _) if i < pe_first_up[j] => NOT_STARTED,
                    (false, _) => BLACK,
                    (true, false) => RGBColor(0xff, 0x8c, 0x00),
                    (true, true) => shade(p.jobs as f64 / max_jobs as f64),
                }
            };
            let starts = |i: usize, j: usize| self.pool_elements[i][j].starts > 0;
            let pe_rows = Rows { what: "PE", count: shown_pe, lans: &self.pool_element_lans };
            let _ = self.strips(&pe_area, &pe_title, &pe_rows, end, step, pe_cells, starts);
            let pr_first_up: Vec<usize> = (0..shown_pr).map(|j| first_up(&|i| self.registrars[i][j].up)).collect();
            let pr_cells = |i: usize, j: usize| {
                let r = self.registrars[i][j];
                match (r.up, r.interface_up) {
                    (false, _) if i < pr_first_up[j] => NOT_STARTED,
                    (false, _) => BLACK,
                    (true, false) => RGBColor(0xff, 0x8c, 0x00),
                    (true, true) => RGBColor(0x2c, 0xa0, 0x2c),
                }
            };
            let title = "Registrars: up (green), down (black), not started yet (grey), interface down (orange)";
            let pr_rows = Rows { what: "PR", count: shown_pr, lans: &self.registrar_lans };
            let _ = self.strips(&pr_area, title, &pr_rows, end, step, pr_cells, |_, _| false);
            for (area, (title, points, color, bars)) in series_areas.iter().zip(&series) {
                let _ = self.series(area, title, points, *color, *bars, end);
            }
            let _ = root.present();
        }
        svg
    }

    /// Rows of cells: one row per component, one cell per sample (equal neighbours merged),
    /// and a tick where `tick` holds.
    #[allow(clippy::too_many_arguments)]
    fn strips<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
        layout: &Rows,
        end: f64,
        step: f64,
        color: impl Fn(usize, usize) -> RGBColor,
        tick: impl Fn(usize, usize) -> bool,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let rows = layout.count;
        let several_lans = layout.lans.iter().any(|&l| l != layout.lans[0]);
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 14))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(24)
            .y_label_area_size(if several_lans { 80 } else { 50 })
            .build_cartesian_2d(0.0..end, -0.5..rows.max(1) as f64 - 0.5)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style(("sans-serif", 11))
            .x_label_formatter(&|v| short_number(*v))
            .y_labels(rows.clamp(1, 10))
            .y_label_formatter(&|v| {
                let j = (*v).round().max(0.0) as usize;
                match layout.lans.get(j) {
                    Some(lan) if several_lans => format!("LAN {lan} {} {j}", layout.what),
                    _ => format!("{} {j}", layout.what),
                }
            })
            .draw()?;
        chart.draw_series(self.warmup_shade(-0.5, rows.max(1) as f64 - 0.5))?;
        // A line between the LANs' groups of rows.
        let borders = (1..rows).filter(|&j| several_lans && layout.lans.get(j) != layout.lans.get(j - 1));
        chart
            .draw_series(borders.map(|j| {
                PathElement::new(vec![(0.0, j as f64 - 0.5), (end, j as f64 - 0.5)], BLACK.stroke_width(1))
            }))?;
        let mut cells = Vec::new();
        for j in 0..rows {
            let mut i = 0;
            while i < self.times.len() {
                let c = color(i, j);
                let mut k = i + 1;
                while k < self.times.len() && color(k, j) == c {
                    k += 1;
                }
                let x0 = self.times[i].as_secs_f64();
                let x1 = (self.times[k - 1].as_secs_f64() + step).min(end);
                cells.push(Rectangle::new([(x0, j as f64 - 0.4), (x1, j as f64 + 0.4)], c.filled()));
                i = k;
            }
        }
        chart.draw_series(cells)?;
        let mut ticks = Vec::new();
        for j in 0..rows {
            for (_, t) in self.times.iter().enumerate().filter(|&(i, _)| tick(i, j)) {
                let x = t.as_secs_f64();
                ticks.push(PathElement::new(vec![(x, j as f64 - 0.5), (x, j as f64 + 0.5)], RED.stroke_width(2)));
            }
        }
        chart.draw_series(ticks)?;
        Ok(())
    }

    /// A line (or bars) over time.
    fn series<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        title: &str,
        points: &[(f64, f64)],
        color: RGBColor,
        bars: bool,
        end: f64,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let top = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 14))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..end, 0.0..top)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 11))
            .x_desc("Simulated time [s]")
            .x_label_formatter(&|v| short_number(*v))
            // Counts: whole-number ticks.
            .y_label_formatter(&|v| tick_label(*v, top, true))
            .draw()?;
        chart.draw_series(self.warmup_shade(0.0, top))?;
        if bars {
            let w = self.interval.as_secs_f64();
            chart.draw_series(
                points
                    .iter()
                    .filter(|p| p.1 > 0.0)
                    .map(|&(x, y)| Rectangle::new([(x - w, 0.0), (x, y)], color.filled())),
            )?;
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?;
        }
        Ok(())
    }

    /// The warm-up as a pale yellow band (the grid is grey).
    fn warmup_shade(&self, bottom: f64, top: f64) -> Option<Rectangle<(f64, f64)>> {
        (self.warmup_s > 0.0).then(|| Rectangle::new([(0.0, bottom), (self.warmup_s, top)], WARMUP.filled()))
    }
}

/// A panel over time: title, points (time [s], value), colour, and bars (or a line).
type Series = (String, Vec<(f64, f64)>, RGBColor, bool);

/// The rows of a strip chart: which kind, how many, and their LANs.
struct Rows<'a> {
    what: &'a str,
    count: usize,
    lans: &'a [u32],
}

/// A component that has not started yet (light grey), and the warm-up band (pale yellow).
const NOT_STARTED: RGBColor = RGBColor(0xd0, 0xd0, 0xd0);
const WARMUP: RGBColor = RGBColor(0xff, 0xf1, 0xb8);

/// At most this many strips per kind are drawn (the CSV files hold every component).
const MAX_STRIPS: usize = 100;

/// White (0) to dark blue (1), in 10 steps so that equal neighbours merge.
fn shade(fraction: f64) -> RGBColor {
    let l = (fraction.clamp(0.0, 1.0) * 10.0).round() / 10.0;
    let mix = |from: f64, to: f64| (from + (to - from) * l).round() as u8;
    RGBColor(mix(255.0, 0x1f as f64), mix(255.0, 0x4e as f64), mix(255.0, 0x9e as f64))
}
