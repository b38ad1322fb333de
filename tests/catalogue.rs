//! The catalogue's documents agree with it: every study has a measured time, and the
//! gallery and the README quote the times of `scenarios/studies/times.csv`.

use poolsim::scenario::human_duration;
use poolsim::sweep::catalogue::{self, MEASURED_CORES};
use std::collections::BTreeMap;
use std::path::Path;

/// The cells of the markdown table rows that start with `start`.
fn rows<'a>(text: &'a str, start: &str) -> Vec<Vec<&'a str>> {
    let cells = |line: &'a str| line.trim().trim_matches('|').split('|').map(str::trim).collect();
    text.lines().filter(|l| l.starts_with(start)).map(cells).collect()
}

#[test]
fn gallery_and_readme_quote_the_measured_times() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/studies");
    let studies = catalogue::studies(&root).unwrap();
    let times = catalogue::measured_times(&root).unwrap();
    assert_eq!(MEASURED_CORES, 2, "the documents say 2 cores");
    let names: Vec<&str> = studies.iter().map(|s| s.name.as_str()).collect();
    for name in times.keys() {
        assert!(names.contains(&name.as_str()), "times.csv names `{name}`, which is no study");
    }

    let gallery = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reproductions.md")).unwrap();
    let quoted: BTreeMap<&str, &str> = rows(&gallery, "| [")
        .into_iter()
        .map(|cells| (cells[0][1..].split(']').next().unwrap(), *cells.last().unwrap()))
        .collect();
    // family -> (studies, runs, seconds)
    let mut families: Vec<(String, usize, usize, f64)> = Vec::new();
    for study in &studies {
        let wall_s = *times.get(&study.name).unwrap_or_else(|| panic!("no measured time for `{}`", study.name));
        if study.name != "wp1-hom-puToPERatio-jobSizeI" {
            // (the main study is the README's first command)
            assert_eq!(
                quoted.get(study.name.as_str()).copied(),
                Some(human_duration(wall_s).as_str()),
                "{}",
                study.name
            );
        }
        let (runs, _, _) = study.outline(MEASURED_CORES, &times).unwrap();
        match families.iter_mut().find(|f| f.0 == study.family) {
            Some(f) => (f.1, f.2, f.3) = (f.1 + 1, f.2 + runs, f.3 + wall_s),
            None => families.push((study.family.clone(), 1, runs, wall_s)),
        }
    }

    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = rows(&readme, "| ");
    let spaced = |n: usize| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(' ');
            }
            out.push(c);
        }
        out
    };
    for (family, count, runs, seconds) in &families {
        let row = table.iter().find(|r| r[0].starts_with(&format!("{family}:"))).unwrap_or_else(|| panic!("{family}"));
        let expected = [count.to_string(), spaced(*runs), human_duration(*seconds)];
        assert_eq!(row[1..4], expected.iter().map(String::as_str).collect::<Vec<_>>()[..], "README row of {family}");
    }
    let total = table.iter().find(|r| r[0] == "**all**").expect("README total row");
    let seconds: f64 = families.iter().map(|f| f.3).sum();
    let runs: usize = families.iter().map(|f| f.2).sum();
    assert_eq!(
        total[1..4],
        [
            format!("**{}**", studies.len()),
            format!("**{}**", spaced(runs)),
            format!("**about {}**", human_duration(seconds))
        ]
    );
}
